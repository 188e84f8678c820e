/**
 * Sessions without sockets, for unit tests: a real hub and offload, and a fake SessionIO
 * that records frames and whether input is paused.
 */
import { MessageIdGenerator } from '../../shared/message-id';
import { MemoryOffload } from '../../shared/queue/memory-offload';
import type { Offload } from '../../shared/queue/offload';
import { emptyHistory, type HistorySource } from '../../shared/history/history';
import { compileRoomTemplate } from '../../shared/rooms';
import { StompParser } from '../../shared/stomp/parser';
import type { Frame } from '../../shared/stomp/frame';
import { RecentRing } from '../../shared/history/recent-ring';
import { BrokerMetrics } from '../broker-metrics';
import type { AccessPolicy } from '../hub/access-policy';
import type { DestinationHooks } from '../hub/destination-hooks';
import { Hub } from '../hub/hub';
import type { Authenticator } from '../session/authenticator';
import { developmentAuthenticator } from '../session/authenticator';
import { Session, type SessionContext, type SessionIO, type SessionLimits } from '../session/session';

export interface FakeIO extends SessionIO {
  frames: Frame[];
  raw: Buffer[];
  closed: boolean;
  paused: boolean;
  heartbeat: { sendMs: number; recvMs: number } | null;
}

export function fakeIO(): FakeIO {
  const io: FakeIO = {
    frames: [],
    raw: [],
    closed: false,
    paused: false,
    heartbeat: null,
    write(bytes) {
      io.raw.push(bytes);
      if (bytes.length === 1 && bytes[0] === 0x0a) return;
      new StompParser({ onFrame: (f) => io.frames.push(f), version: '1.2' }).push(bytes);
    },
    writeMessage(t, perDelivery) {
      io.write(t.deliver(perDelivery));
    },
    close() {
      io.closed = true;
    },
    connected(_v, hb) {
      io.heartbeat = hb;
    },
    pauseInput() {
      io.paused = true;
    },
    resumeInput() {
      io.paused = false;
    },
  };
  return io;
}

export const TEST_LIMITS: SessionLimits = {
  maxSubscriptions: 10,
  maxTransactions: 2,
  maxFramesPerTransaction: 5,
  maxPendingPerSubscription: 5,
  maxPendingFrames: 20,
  maxHeldBytes: 1024 * 1024,
  maxTransactionBytes: 64 * 1024,
  defaultPrefetch: 0,
  historyMax: 50,
  androidDetect: true,
  heartbeat: { serverSendMs: 10_000, serverRecvMs: 10_000, minMs: 1_000 },
  sendRatePerS: 0,
  sendBurst: 1,
};

export interface TestContextOptions {
  offload?: Offload;
  history?: HistorySource;
  limits?: Partial<SessionLimits>;
  auth?: Authenticator;
  access?: AccessPolicy;
  hooks?: DestinationHooks;
}

export function testContext(over: TestContextOptions = {}) {
  const metrics = new BrokerMetrics();
  const offload = over.offload ?? new MemoryOffload(1000);
  const hub = new Hub({
    ids: new MessageIdGenerator('test'),
    offload,
    rooms: compileRoomTemplate('/topic/room.{roomId}'),
    ring: new RecentRing({ perRoom: 100 }),
    history: over.history ?? emptyHistory,
    access: over.access,
    hooks: over.hooks,
  });
  const ctx: SessionContext = {
    limits: { ...TEST_LIMITS, ...over.limits },
    hub,
    auth: over.auth ?? developmentAuthenticator,
    metrics,
  };
  const open = (handshake = { remoteAddress: '127.0.0.1', subprotocol: 'v12.stomp' as string | null }) => {
    const io = fakeIO();
    const session = new Session(ctx, io, handshake);
    return { io, session, send: (f: Frame) => session.handleFrame(f) };
  };
  return { ctx, hub, metrics, offload, open };
}

export function f(command: string, headers: Record<string, string> = {}, body = ''): Frame {
  const h = Object.create(null) as Record<string, string>;
  Object.assign(h, headers);
  return { command, headers: h, body: Buffer.from(body) };
}
