/**
 * One WebSocket connection: the only module that touches the socket (the model is
 * rabbit_stomp_reader). It feeds incoming bytes to the parser and frames to the session,
 * keeps heart-beats (visited by the process's HeartbeatWheel), enforces the pre-CONNECT byte
 * budget and the bounded outgoing buffer, and writes each STOMP frame as its own WebSocket
 * message, batched per tick.
 *
 * Idle connections are what a broker holds most of, so per-connection state is kept small:
 * listeners are shared functions (ws calls them with `this` = the WebSocket), queues are
 * allocated on first use, and no timer runs per connection once CONNECTED.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { StompParser, type ParserLimits } from '../../shared/stomp/parser';
import { HEARTBEAT, type MessageTemplate } from '../../shared/stomp/encoder';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { Frame, StompVersion } from '../../shared/stomp/frame';
import type { BrokerMetrics } from '../broker-metrics';
import { Session, type Handshake, type SessionContext, type SessionIO } from '../session/session';
import type { BudgetMember, BufferBudget } from './buffer-budget';
import { monotonicMs, type HeartbeatWheel, type WheelMember } from './heartbeat-wheel';
import type { OutputBatcher } from './output-batcher';
import { OPCODE_BINARY, OPCODE_TEXT, wsHeaderLength, writeWsHeader } from './ws-frame';

export interface TransportLimits {
  preConnectMaxBytes: number;
  sendBufferMaxBytes: number;
  connectTimeoutMs: number;
  closeGraceMs: number;
  binaryOutput: boolean;
  /** permessage-deflate on: frames go through ws.send, which compresses. */
  compression: boolean;
  frame: ParserLimits;
  /** Frames parsed for one connection per turn of the event loop before others get a turn. */
  framesPerTurn: number;
  /** A frame begun must be complete within this time (0: no limit). */
  frameTimeoutMs: number;
}

const SESSION_HOLD = 1;
const SLICE_HOLD = 2;
const BUDGET_HOLD = 4;

/** What every connection of an endpoint shares (one reference per connection, not six). */
export interface ConnectionDeps {
  limits: TransportLimits;
  batcher: OutputBatcher;
  heartbeats: HeartbeatWheel;
  budget: BufferBudget;
  metrics: BrokerMetrics;
  onGone: (c: Connection) => void;
}

/** The Connection of a WebSocket, for the listeners shared by all connections. */
const CONNECTION = Symbol('stompbox.connection');
type ConnectedWs = WebSocket & { [CONNECTION]: Connection };
/** Nothing unread: shared, never written to (a connection's own array is made on first use). */
const NOTHING_UNREAD: Buffer[] = [];

export class Connection implements SessionIO, BudgetMember, WheelMember {
  readonly session: Session;
  private readonly parser: StompParser;
  private readonly socket: Socket;
  /**
   * Frames waiting for this tick's flush, as parallel arrays (no object per delivery):
   * a ready Buffer with '' beside it, or a MESSAGE template with its per-delivery headers.
   * Null while nothing waits (most connections, most of the time).
   */
  private qFrames: (Buffer | MessageTemplate)[] | null = null;
  private qExtra: string[] | null = null;
  /** Payload bytes of each queued frame (computed once, at enqueue). */
  private qSizes: number[] | null = null;
  private queuedBytes = 0;
  private scheduled = false;
  private closing = false;
  private closed = false;
  /** While writing the final ERROR of a slow consumer, the buffer limit does not apply. */
  private bypassLimit = false;
  private preConnectBytes = 0;
  /** Messages (or the rest of one) waiting for a later turn; the first starts at unreadOffset. */
  private unread: Buffer[] = NOTHING_UNREAD;
  private unreadOffset = 0;
  /** Bit set of SESSION_HOLD / SLICE_HOLD: reads are paused while non-zero. */
  private inputHolds = 0;
  /** WebSocket close code: 1000 after a STOMP ERROR or DISCONNECT, ws's own code after it refused a message. */
  private closeCode = 1000;
  private isConnected = false;
  /** When a byte last came in, and when one last went out (the heart-beat wheel's clock). */
  private lastSeen = monotonicMs();
  private lastWrite = 0;
  /** Heart-beat every this many ms of silence towards the peer (0: none); see connected(). */
  private beatEveryMs = 0;
  /** Silence from the peer tolerated: twice its agreed heart-beat (0: not watched). */
  private silenceMs = 0;
  wheelSlot = -1;
  wheelIndex = 0;
  wheelDue = 0;
  budgetActive = false;
  private connectTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private frameTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    ctx: SessionContext,
    handshake: Handshake,
    private readonly deps: ConnectionDeps,
  ) {
    const limits = deps.limits;
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.session = new Session(ctx, this, handshake);
    // A bound method, not an arrow function: the build keeps function names (esbuild
    // keepNames), which names each arrow made here at run time with defineProperty, and that
    // gives every connection's function its own property dictionary.
    const onFrame: (f: Frame) => void = this.session.handleFrame.bind(this.session);
    // Before CONNECT only a small budget is parsed (enough for an 8 KiB JWT).
    this.parser = new StompParser({
      ...limits.frame,
      maxFrameBytes: Math.min(limits.frame.maxFrameBytes, limits.preConnectMaxBytes),
      maxBodyBytes: Math.min(limits.frame.maxBodyBytes, limits.preConnectMaxBytes),
      onFrame,
      onHeartbeat: noop,
    });
    (ws as ConnectedWs)[CONNECTION] = this;
    ws.on('message', onWsMessage);
    ws.on('close', onWsClose);
    // WebSocket pings and pongs are inbound bytes too: signs of life for heart-beating.
    ws.on('ping', onWsPingPong);
    ws.on('pong', onWsPingPong);
    ws.on('error', noop); // 'close' follows; errors are counted there
    // ws refuses some messages itself (invalid UTF-8 in a text message: 1007; larger than
    // maxPayload: 1009) and closes before the application sees them. Its receiver reports the
    // reason first, then ws writes its close frame: listening ahead of ws lets the STOMP ERROR
    // reach the client before that close frame. (The receiver's listeners get the receiver as
    // `this`, hence one closure here.)
    (ws as unknown as { _receiver?: EventEmitter })._receiver?.prependListener('error', (err: Error & { code?: string }) => this.onWsRefused(err));
    if (limits.connectTimeoutMs > 0) this.connectTimer = setTimeout(connectTimedOut, limits.connectTimeoutMs, this);
  }

  /** CONNECT did not come in time. */
  connectTimeout(): void {
    this.connectTimer = null;
    if (!this.isConnected) this.session.fail(new StompProtocolError('not-connected', `no CONNECT within ${this.deps.limits.connectTimeoutMs} ms`));
  }

  onMessage(data: WebSocket.RawData): void {
    if (this.closed) return;
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.lastSeen = this.deps.heartbeats.now(); // any inbound byte is a sign of life (1.2 "Heart-beating")
    this.deps.budget.touch(this);
    this.deps.metrics.bytesIn += chunk.length;
    if (!this.isConnected) {
      this.preConnectBytes += chunk.length;
      if (this.preConnectBytes > this.deps.limits.preConnectMaxBytes) {
        this.session.fail(new StompProtocolError('frame-too-large', `more than ${this.deps.limits.preConnectMaxBytes} bytes before CONNECT completed`));
        return;
      }
    }
    if (this.closing) return;
    if (this.unread.length > 0 || (this.inputHolds & SESSION_HOLD) !== 0) {
      // ws may still emit messages it had already read when reads were paused.
      if (this.unread === NOTHING_UNREAD) this.unread = [];
      this.unread.push(chunk);
      return;
    }
    this.feed(chunk, 0);
  }

  /**
   * Parse at most `framesPerTurn` frames, then let other connections have the event loop:
   * the rest of the message waits for the next turn, with reads from this socket paused
   * (one WebSocket message may hold 100,000 frames).
   */
  private feed(chunk: Buffer, offset: number): void {
    let next: number;
    try {
      next = this.parser.pushSome(chunk, offset, this.deps.limits.framesPerTurn);
    } catch (e) {
      if (e instanceof StompProtocolError) this.session.fail(e, e.receiptId);
      else throw e;
      return;
    }
    this.watchPartialFrame();
    if (next >= chunk.length || this.closed || this.closing) return;
    if (this.unread === NOTHING_UNREAD) this.unread = [];
    this.unread.unshift(chunk);
    this.unreadOffset = next;
    this.holdInput(SLICE_HOLD);
    setImmediate(feedUnreadOf, this);
  }

  /** A frame begun must be finished within frameTimeoutMs: half a frame must not be parked forever. */
  private watchPartialFrame(): void {
    if (this.parser.idle || this.deps.limits.frameTimeoutMs <= 0) {
      if (this.frameTimer) clearTimeout(this.frameTimer);
      this.frameTimer = null;
      return;
    }
    this.frameTimer ??= setTimeout(() => {
      this.frameTimer = null;
      if (!this.parser.idle) {
        this.session.fail(new StompProtocolError('frame-timeout', `a frame was begun and not completed within ${this.deps.limits.frameTimeoutMs} ms`));
      }
    }, this.deps.limits.frameTimeoutMs);
  }

  feedUnread(): void {
    if ((this.inputHolds & SESSION_HOLD) !== 0) return; // resumed by the session
    while (this.unread.length > 0 && !this.closed && !this.closing) {
      const chunk = this.unread.shift()!;
      const offset = this.unreadOffset;
      this.unreadOffset = 0;
      this.feed(chunk, offset);
      if (this.unread.length > 0 && this.unread[0] === chunk) return; // sliced again: next turn
    }
    this.unread = NOTHING_UNREAD;
    this.releaseInput(SLICE_HOLD);
  }

  private onWsRefused(err: Error & { code?: string }): void {
    if (this.closed || this.closing) return;
    const refusal = WS_REFUSALS[err.code ?? ''] ?? { stomp: 'bad-websocket-frame' as const, ws: 1002 };
    this.closeCode = refusal.ws;
    this.session.fail(new StompProtocolError(refusal.stomp, `WebSocket message refused: ${err.message}`));
  }

  touch(): void {
    this.lastSeen = this.deps.heartbeats.now();
    this.deps.budget.touch(this); // ws answers a ping with a pong
  }

  onClose(): void {
    this.closed = true;
    this.clearTimers();
    this.dropQueued();
    this.session.handleClose();
    this.deps.onGone(this);
  }

  // ---------------------------------------------------------------- SessionIO

  write(bytes: Buffer): void {
    if (bytes === HEARTBEAT && this.qFrames === null && !this.deps.limits.compression && !this.closed && !this.closing && this.ws.bufferedAmount === 0) {
      // A heart-beat with nothing else waiting: one ready-made WebSocket message, straight to
      // the socket (no queue, no batch, no copy). Order is kept: nothing is queued before it.
      // (With bytes still in the socket it takes the queue, and its slow-consumer limit.)
      this.socket.write(this.deps.limits.binaryOutput ? HEARTBEAT_BINARY : HEARTBEAT_TEXT);
      this.deps.metrics.bytesOut += HEARTBEAT.length;
      this.lastWrite = this.deps.heartbeats.now();
      this.deps.budget.touch(this);
      return;
    }
    this.enqueue(bytes, '', bytes.length);
  }

  writeMessage(template: MessageTemplate, perDelivery: string): void {
    this.enqueue(template, perDelivery, template.size + Buffer.byteLength(perDelivery));
  }

  private enqueue(frame: Buffer | MessageTemplate, extra: string, size: number): void {
    if (this.closed || (this.closing && !this.bypassLimit)) return;
    // One frame always fits (a 1 MiB MESSAGE with a smaller buffer limit is not "slow");
    // the limit applies to what is already waiting.
    const waiting = this.queuedBytes + this.ws.bufferedAmount;
    if (!this.bypassLimit && waiting > 0 && waiting + size > this.deps.limits.sendBufferMaxBytes) return this.slowConsumer();
    if (this.qFrames === null) {
      this.qFrames = [frame];
      this.qExtra = [extra];
      this.qSizes = [size];
    } else {
      this.qFrames.push(frame);
      this.qExtra!.push(extra);
      this.qSizes!.push(size);
    }
    this.queuedBytes += size;
    this.deps.budget.touch(this);
    this.deps.metrics.bytesOut += size;
    if (!this.scheduled) {
      this.scheduled = true;
      this.deps.batcher.schedule(this);
    }
  }

  connected(version: StompVersion, hb: { sendMs: number; recvMs: number }): void {
    this.isConnected = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.parser.setVersion(version);
    this.parser.setLimits(this.deps.limits.frame);
    if (hb.sendMs > 0) {
      // 1.2 "Heart-beating": the broker must send something at least every sendMs. The wheel
      // visits up to one tick after due, so it is asked one tick early; each connection also
      // beats up to 1/20 of the period (at most 500 ms) earlier than that, at random, so
      // connections opened together do not keep beating in the same tick.
      const tick = this.deps.heartbeats.tickMs;
      const spread = Math.floor(Math.random() * Math.min(hb.sendMs / 20, 500));
      this.beatEveryMs = Math.max(1, hb.sendMs - tick - spread);
    }
    if (hb.recvMs > 0) this.silenceMs = 2 * hb.recvMs;
    if (this.beatEveryMs > 0 || this.silenceMs > 0) {
      const now = this.deps.heartbeats.now();
      this.lastSeen = now;
      this.lastWrite = now;
      this.deps.heartbeats.schedule(this, this.nextVisit());
    }
  }

  /** The heart-beat wheel's visit: beat if nothing went out for a period, check the peer's silence. */
  onWheel(now: number): number {
    if (this.closed || this.closing) return 0;
    // A heart-beat is needed only when nothing else was sent (1.2 "Heart-beating"); frames
    // queued for this turn's flush count as sent.
    if (this.beatEveryMs > 0 && this.qFrames === null && now - this.lastWrite >= this.beatEveryMs) this.session.heartbeat();
    if (this.silenceMs > 0) {
      // While the broker itself does not read this socket, the peer's heart-beats wait unread.
      if (this.inputHolds !== 0) this.lastSeen = now;
      // The wheel runs in the timers phase, before the poll phase reads what arrived while the
      // event loop was busy: decide after that read (setImmediate), not on a stale lastSeen.
      else if (now - this.lastSeen > this.silenceMs) setImmediate(checkSilenceOf, this);
    }
    return this.nextVisit();
  }

  private nextVisit(): number {
    let next = Infinity;
    if (this.beatEveryMs > 0) next = this.lastWrite + this.beatEveryMs;
    // strictly more than silenceMs of silence before failing
    if (this.silenceMs > 0) next = Math.min(next, this.lastSeen + this.silenceMs + 1);
    return next;
  }

  /** Fail the connection if the peer is still silent past twice its heart-beat. */
  checkSilence(): void {
    if (this.closed || this.closing) return;
    if (this.inputHolds !== 0) {
      this.lastSeen = this.deps.heartbeats.now();
      return;
    }
    if (this.deps.heartbeats.now() - this.lastSeen > this.silenceMs) {
      this.deps.metrics.heartbeatTimeouts++;
      this.session.fail(new StompProtocolError('heartbeat-timeout', `nothing received for more than ${this.silenceMs} ms (twice the agreed heart-beat)`));
    }
  }

  pauseInput(): void {
    this.holdInput(SESSION_HOLD);
  }

  resumeInput(): void {
    this.releaseInput(SESSION_HOLD);
  }

  // ---------------------------------------------------------------- BudgetMember

  bufferedBytes(): number {
    let unread = 0;
    for (const c of this.unread) unread += c.length;
    return this.queuedBytes + this.ws.bufferedAmount + this.parser.bufferedBytes + unread - this.unreadOffset;
  }

  holdInputForBudget(): void {
    this.holdInput(BUDGET_HOLD);
  }

  releaseInputForBudget(): void {
    this.releaseInput(BUDGET_HOLD);
  }

  /**
   * Close as a slow consumer: drop what is queued but not yet handed to the socket, so
   * memory stays flat, then let the ERROR through.
   */
  failSlow(reason: string): void {
    this.deps.metrics.slowConsumerDisconnects++;
    this.dropQueued();
    this.bypassLimit = true;
    this.session.fail(new StompProtocolError('slow-consumer', reason));
    this.bypassLimit = false;
  }

  /** Reads pause while anyone holds them (a waiting handler, a message being sliced, the budget). */
  private holdInput(who: number): void {
    if (this.inputHolds === 0) this.ws.pause();
    this.inputHolds |= who;
  }

  private releaseInput(who: number): void {
    if ((this.inputHolds & who) === 0) return;
    this.inputHolds &= ~who;
    if (who === SESSION_HOLD && this.unread.length > 0) {
      // Finish what was already read before reading more.
      this.inputHolds |= SLICE_HOLD;
      setImmediate(feedUnreadOf, this);
      return;
    }
    if (this.inputHolds === 0 && !this.closed) {
      // Time spent not reading this socket is not the peer's silence: count from now.
      this.lastSeen = this.deps.heartbeats.now();
      this.ws.resume();
    }
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.clearTimers();
    this.flush();
    this.ws.close(this.closeCode);
    // A peer that never answers the close handshake (or never drains) is cut off.
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.deps.limits.closeGraceMs);
    this.graceTimer.unref();
  }

  /** Server shutdown: close with 1001 "going away" after what is queued. */
  goAway(): void {
    if (this.closed) return;
    this.closing = true;
    this.clearTimers();
    this.flush();
    this.ws.close(1001, 'server shutting down');
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.deps.limits.closeGraceMs);
    this.graceTimer.unref();
  }

  // ---------------------------------------------------------------- output

  flush(): void {
    this.scheduled = false;
    const frames = this.qFrames;
    if (frames === null || this.closed) return;
    const n = frames.length;
    const extras = this.qExtra!;
    const sizes = this.qSizes!;
    this.dropQueued();
    this.lastWrite = this.deps.heartbeats.now();
    if (this.deps.limits.compression) return this.flushThroughWs(frames, extras);
    // One buffer, one socket write for the whole tick; each STOMP frame is still its own
    // WebSocket message (Android reads exactly one frame per message).
    let size = 0;
    for (let i = 0; i < n; i++) size += wsHeaderLength(sizes[i]) + sizes[i];
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    const binaryOut = this.deps.limits.binaryOutput;
    for (let i = 0; i < n; i++) {
      const f = frames[i];
      if (Buffer.isBuffer(f)) {
        o = writeWsHeader(out, o, f.length, binaryOut ? OPCODE_BINARY : OPCODE_TEXT);
        f.copy(out, o);
        o += f.length;
        continue;
      }
      // A non-UTF-8 body cannot travel in a text message (browsers drop the connection).
      o = writeWsHeader(out, o, sizes[i], binaryOut || !f.utf8 ? OPCODE_BINARY : OPCODE_TEXT);
      f.prefix.copy(out, o);
      o += f.prefix.length;
      if (extras[i].length > 0) o += out.write(extras[i], o, 'utf8');
      f.suffix.copy(out, o);
      o += f.suffix.length;
    }
    this.socket.write(out);
  }

  private flushThroughWs(frames: (Buffer | MessageTemplate)[], extras: string[]): void {
    this.socket.cork();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (Buffer.isBuffer(f)) this.ws.send(f, this.deps.limits.binaryOutput ? BINARY : TEXT);
      else this.ws.send(f.deliver(extras[i]), this.deps.limits.binaryOutput || !f.utf8 ? BINARY : TEXT);
    }
    this.socket.uncork();
  }

  private dropQueued(): void {
    this.qFrames = null;
    this.qExtra = null;
    this.qSizes = null;
    this.queuedBytes = 0;
  }

  private slowConsumer(): void {
    this.failSlow(`more than ${this.deps.limits.sendBufferMaxBytes} bytes waiting to be sent to this client; it is not reading fast enough`);
  }

  private clearTimers(): void {
    this.deps.heartbeats.remove(this);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.connectTimer = this.frameTimer = null;
  }
}

// Listeners shared by every connection: ws calls them with `this` = the WebSocket, and a
// function per connection per event would be memory held by every idle connection.
function onWsMessage(this: WebSocket, data: WebSocket.RawData): void {
  (this as ConnectedWs)[CONNECTION].onMessage(data);
}
function onWsClose(this: WebSocket): void {
  (this as ConnectedWs)[CONNECTION].onClose();
}
function onWsPingPong(this: WebSocket): void {
  (this as ConnectedWs)[CONNECTION].touch();
}
function feedUnreadOf(c: Connection): void {
  c.feedUnread();
}
function checkSilenceOf(c: Connection): void {
  c.checkSilence();
}
function connectTimedOut(c: Connection): void {
  c.connectTimeout();
}
function noop(): void {}

/** A heart-beat (one EOL) as a whole unmasked WebSocket message (RFC 6455 5.2), text and binary. */
const HEARTBEAT_TEXT = wsMessage(HEARTBEAT, OPCODE_TEXT);
const HEARTBEAT_BINARY = wsMessage(HEARTBEAT, OPCODE_BINARY);
function wsMessage(payload: Buffer, opcode: number): Buffer {
  const out = Buffer.alloc(wsHeaderLength(payload.length) + payload.length);
  payload.copy(out, writeWsHeader(out, 0, payload.length, opcode));
  return out;
}

/** ws's receiver error codes → our ERROR `message` and the close code ws uses for them (RFC 6455 7.4.1). */
const WS_REFUSALS: Record<string, { stomp: 'bad-encoding' | 'frame-too-large'; ws: number }> = {
  WS_ERR_INVALID_UTF8: { stomp: 'bad-encoding', ws: 1007 },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { stomp: 'frame-too-large', ws: 1009 },
};

const TEXT = { binary: false, compress: false } as const;
const BINARY = { binary: true, compress: false } as const;
