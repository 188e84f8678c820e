/**
 * The push consumer on the in-process queue twin, a FakeStore, a settable presence and the real
 * firebase-admin SDK talking to a local FCM mock over HTTP/1.1 ('h1') or HTTP/2 ('h2'): what the
 * push tests share.
 */
import pino from 'pino';
import { afterEach } from 'vitest';
import { Registry } from 'prom-client';
import type { OutboundMessage } from '../../../shared/message';
import { MessageIdGenerator } from '../../../shared/message-id';
import type { Presence } from '../../../shared/presence/presence';
import { MemoryDeadLetters, MemoryPackQueue } from '../../../shared/queue/memory-queue';
import { encodePack } from '../../../shared/queue/pack-codec';
import type { SealedPack } from '../../../shared/queue/packing-offload';
import { FakeStore } from '../../../shared/testing/fake-store';
import { FcmMock, type FcmTransport } from '../../../shared/testing/fcm-mock';
import { WorkerPoolSender } from '../push-send-workers';
import { createFcm, MOCK_FCM_APP_MODULE, type MockTarget } from './mock-fcm-app';
import { startPush, type PushOptions, type PushService } from '../push';
import { pushMetrics } from '../push-metrics';
import { FcmSender, type PushSender } from '../push-sender';

export const baseOptions: PushOptions = {
  collapseMs: 0,
  collapseMaxWindows: 100_000,
  collapseMaxBytes: 64 * 1024 * 1024,
  batchTokens: 500,
  concurrency: 4,
  payloadMaxBytes: 4_096,
  maxAttempts: 3,
  retry: { baseMs: 5, maxMs: 50, quotaMinMs: 20 },
  maxRetryTokens: 10_000,
  membersCacheMs: 0,
  membersCacheRooms: 100,
  tokenMaxAgeDays: 270,
  pruneEveryMs: 0,
  drainTimeoutMs: 3_000,
};

/** Presence whose online users the test sets. */
export function fakePresence(online = new Set<string>()): Presence & { online: Set<string> } {
  return {
    kind: 'fake',
    online,
    connected() {},
    disconnected() {},
    onlineAmong: async (ids) => new Set(ids.filter((i) => online.has(i))),
    onChange: () => () => {},
    start: async () => {},
    close: async () => {},
  } as Presence & { online: Set<string> };
}

let appSeq = 0;

/** firebase-admin's real sender, aimed at `mock` over the mock's transport. */
export function mockSender(mock: FcmMock, registry: Registry, projectId = 'demo-project'): PushSender {
  const fcm = createFcm(mockTarget(mock, projectId), `push-test-${process.pid}-${++appSeq}`);
  return new FcmSender(fcm.messaging, pushMetrics(registry), fcm.close);
}

export function mockTarget(mock: FcmMock, projectId = 'demo-project'): MockTarget {
  return { transport: mock.transport, port: mock.port, ca: mock.transport === 'h2' ? mock.route().ca : undefined, projectId };
}

/** The same through `workers` send workers. */
export function mockWorkerSender(mock: FcmMock, registry: Registry, workers: number, projectId = 'demo-project'): Promise<PushSender> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return WorkerPoolSender.start(workers, { projectId, appName: `push-test-${process.pid}-${++appSeq}`, setup: { module: MOCK_FCM_APP_MODULE, arg: mockTarget(mock, projectId) } }, pushMetrics(registry), logger);
}

export interface Rig {
  push: PushService;
  mock: FcmMock;
  store: FakeStore;
  presence: Presence & { online: Set<string> };
  queue: MemoryPackQueue;
  dead: MemoryDeadLetters;
  registry: Registry;
  /** Put messages on the push queue as one pack. */
  publish(msgs: OutboundMessage[]): void;
  /** A room message from `senderId`. */
  message(roomId: string, senderId: string, text: string): OutboundMessage;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export async function startRig(opts: Partial<PushOptions> = {}, extra: { clock?: () => number; deadMax?: number; sender?: PushSender; transport?: FcmTransport; workers?: number } = {}): Promise<Rig> {
  const registry = new Registry();
  const mock = await new FcmMock(extra.transport ?? 'h1').start();
  const store = new FakeStore();
  const presence = fakePresence();
  const queue = new MemoryPackQueue(1_000_000, 8, registry);
  const dead = new MemoryDeadLetters(extra.deadMax ?? 10_000, registry);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const push = await startPush(
    { source: queue.source, deadLetters: dead, store, presence, sender: extra.sender ?? (extra.workers ? await mockWorkerSender(mock, registry, extra.workers) : mockSender(mock, registry)), clock: extra.clock },
    { ...baseOptions, ...opts },
    logger,
    registry,
  );
  const ids = new MessageIdGenerator('pt');
  let seq = 0;
  return {
    push, mock, store, presence, queue, dead, registry,
    publish(msgs) {
      const pack: SealedPack = { seq: ++seq, count: msgs.length, firstId: msgs[0].id, lastId: msgs[msgs.length - 1].id, body: encodePack(msgs), sealedAt: Date.now(), attempts: 0 };
      queue.transport.send(pack, () => {});
    },
    message: (roomId, senderId, text) => ({
      id: ids.next(), destination: `/topic/room.${roomId}`, roomId, senderId, nodeId: 'pt', sentAt: Date.now(), contentType: 'text/plain', headers: {}, body: Buffer.from(text),
    }),
    async metric(name, labels = {}) {
      const m = await registry.getSingleMetric(name)?.get();
      if (!m) return 0;
      return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
    },
    async close() {
      await push.close();
      await mock.close();
    },
  };
}

/** Room `roomId` with these members, each with `tokensEach` tokens named `<user>-t<i>`. */
export async function seedRoom(store: FakeStore, roomId: string, users: string[], tokensEach = 1): Promise<void> {
  await store.addMembers(users.map((userId) => ({ roomId, userId })));
  for (const u of users) for (let i = 0; i < tokensEach; i++) await store.upsertDeviceToken(u, `${u}-t${i}`, 'android');
}

/** `startRig` for one test file: every rig it starts is closed after each test. */
export function rigsClosedAfterEach(): (...args: Parameters<typeof startRig>) => Promise<Rig> {
  let rigs: Rig[] = [];
  afterEach(async () => {
    for (const r of rigs) await r.close();
    rigs = [];
  });
  return async (...args) => {
    const r = await startRig(...args);
    rigs.push(r);
    return r;
  };
}
