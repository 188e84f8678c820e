/**
 * One WebSocket connection: the only module that touches the socket (the model is
 * rabbit_stomp_reader). It feeds incoming bytes to the parser and frames to the session,
 * runs heart-beat timers, enforces the pre-CONNECT byte budget and the bounded outgoing
 * buffer, and writes each STOMP frame as its own WebSocket message, batched per tick.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { StompParser, type ParserLimits } from '../../shared/stomp/parser';
import type { MessageTemplate } from '../../shared/stomp/encoder';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { StompVersion } from '../../shared/stomp/frame';
import type { BrokerMetrics } from '../broker-metrics';
import { Session, type Handshake, type SessionContext, type SessionIO } from '../session/session';
import type { BudgetMember } from './buffer-budget';
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

export class Connection implements SessionIO, BudgetMember {
  readonly session: Session;
  private readonly parser: StompParser;
  private readonly socket: Socket;
  /**
   * Frames waiting for this tick's flush, as parallel arrays (no object per delivery):
   * a ready Buffer with '' beside it, or a MESSAGE template with its per-delivery headers.
   */
  private qFrames: (Buffer | MessageTemplate)[] = [];
  private qExtra: string[] = [];
  /** Payload bytes of each queued frame (computed once, at enqueue). */
  private qSizes: number[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closing = false;
  private closed = false;
  /** While writing the final ERROR of a slow consumer, the buffer limit does not apply. */
  private bypassLimit = false;
  private preConnectBytes = 0;
  /** Messages (or the rest of one) waiting for a later turn; the first starts at unreadOffset. */
  private unread: Buffer[] = [];
  private unreadOffset = 0;
  /** Bit set of SESSION_HOLD / SLICE_HOLD: reads are paused while non-zero. */
  private inputHolds = 0;
  /** WebSocket close code: 1000 after a STOMP ERROR or DISCONNECT, ws's own code after it refused a message. */
  private closeCode = 1000;
  private isConnected = false;
  private lastSeen = Date.now();
  private sendTimer: NodeJS.Timeout | null = null;
  private recvTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private frameTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    ctx: SessionContext,
    handshake: Handshake,
    private readonly limits: TransportLimits,
    private readonly batcher: OutputBatcher,
    private readonly metrics: BrokerMetrics,
    private readonly onGone: (c: Connection) => void,
  ) {
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.session = new Session(ctx, this, handshake);
    // Before CONNECT only a small budget is parsed (enough for an 8 KiB JWT).
    this.parser = new StompParser({
      ...limits.frame,
      maxFrameBytes: Math.min(limits.frame.maxFrameBytes, limits.preConnectMaxBytes),
      maxBodyBytes: Math.min(limits.frame.maxBodyBytes, limits.preConnectMaxBytes),
      onFrame: (f) => this.session.handleFrame(f),
    });
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    // WebSocket pings and pongs are inbound bytes too: signs of life for heart-beating.
    ws.on('ping', this.touch);
    ws.on('pong', this.touch);
    ws.on('error', () => {}); // 'close' follows; errors are counted there
    // ws refuses some messages itself (invalid UTF-8 in a text message: 1007; larger than
    // maxPayload: 1009) and closes before the application sees them. Its receiver reports the
    // reason first, then ws writes its close frame: listening ahead of ws lets the STOMP ERROR
    // reach the client before that close frame.
    (ws as unknown as { _receiver?: EventEmitter })._receiver?.prependListener('error', this.onWsRefused);
    if (limits.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        if (!this.isConnected) this.session.fail(new StompProtocolError('not-connected', `no CONNECT within ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
    }
  }

  private readonly onMessage = (data: WebSocket.RawData, _isBinary: boolean): void => {
    if (this.closed) return;
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.lastSeen = Date.now(); // any inbound byte is a sign of life (1.2 "Heart-beating")
    this.metrics.bytesIn += chunk.length;
    if (!this.isConnected) {
      this.preConnectBytes += chunk.length;
      if (this.preConnectBytes > this.limits.preConnectMaxBytes) {
        this.session.fail(new StompProtocolError('frame-too-large', `more than ${this.limits.preConnectMaxBytes} bytes before CONNECT completed`));
        return;
      }
    }
    if (this.closing) return;
    if (this.unread.length > 0 || (this.inputHolds & SESSION_HOLD) !== 0) {
      // ws may still emit messages it had already read when reads were paused.
      this.unread.push(chunk);
      return;
    }
    this.feed(chunk, 0);
  };

  /**
   * Parse at most `framesPerTurn` frames, then let other connections have the event loop:
   * the rest of the message waits for the next turn, with reads from this socket paused
   * (one WebSocket message may hold 100,000 frames).
   */
  private feed(chunk: Buffer, offset: number): void {
    let next: number;
    try {
      next = this.parser.pushSome(chunk, offset, this.limits.framesPerTurn);
    } catch (e) {
      if (e instanceof StompProtocolError) this.session.fail(e, e.receiptId);
      else throw e;
      return;
    }
    this.watchPartialFrame();
    if (next >= chunk.length || this.closed || this.closing) return;
    this.unread.unshift(chunk);
    this.unreadOffset = next;
    this.holdInput(SLICE_HOLD);
    setImmediate(this.feedUnread);
  }

  /** A frame begun must be finished within frameTimeoutMs: half a frame must not be parked forever. */
  private watchPartialFrame(): void {
    if (this.parser.idle || this.limits.frameTimeoutMs <= 0) {
      if (this.frameTimer) clearTimeout(this.frameTimer);
      this.frameTimer = null;
      return;
    }
    this.frameTimer ??= setTimeout(() => {
      this.frameTimer = null;
      if (!this.parser.idle) {
        this.session.fail(new StompProtocolError('frame-timeout', `a frame was begun and not completed within ${this.limits.frameTimeoutMs} ms`));
      }
    }, this.limits.frameTimeoutMs);
  }

  private readonly feedUnread = (): void => {
    if ((this.inputHolds & SESSION_HOLD) !== 0) return; // resumed by the session
    while (this.unread.length > 0 && !this.closed && !this.closing) {
      const chunk = this.unread.shift()!;
      const offset = this.unreadOffset;
      this.unreadOffset = 0;
      this.feed(chunk, offset);
      if (this.unread.length > 0 && this.unread[0] === chunk) return; // sliced again: next turn
    }
    this.unread = [];
    this.releaseInput(SLICE_HOLD);
  };

  private readonly onWsRefused = (err: Error & { code?: string }): void => {
    if (this.closed || this.closing) return;
    const refusal = WS_REFUSALS[err.code ?? ''] ?? { stomp: 'bad-websocket-frame' as const, ws: 1002 };
    this.closeCode = refusal.ws;
    this.session.fail(new StompProtocolError(refusal.stomp, `WebSocket message refused: ${err.message}`));
  };

  private readonly touch = (): void => {
    this.lastSeen = Date.now();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.clearTimers();
    this.dropQueued();
    this.session.handleClose();
    this.onGone(this);
  };

  // ---------------------------------------------------------------- SessionIO

  write(bytes: Buffer): void {
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
    if (!this.bypassLimit && waiting > 0 && waiting + size > this.limits.sendBufferMaxBytes) return this.slowConsumer();
    this.qFrames.push(frame);
    this.qExtra.push(extra);
    this.qSizes.push(size);
    this.queuedBytes += size;
    this.metrics.bytesOut += size;
    if (!this.scheduled) {
      this.scheduled = true;
      this.batcher.schedule(this);
    }
  }

  connected(version: StompVersion, hb: { sendMs: number; recvMs: number }): void {
    this.isConnected = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.parser.setVersion(version);
    this.parser.setLimits(this.limits.frame);
    if (hb.sendMs > 0) this.sendTimer = setInterval(() => this.session.heartbeat(), hb.sendMs);
    if (hb.recvMs > 0) {
      this.recvTimer = setInterval(() => {
        // While the broker itself does not read this socket, the peer's heart-beats wait unread.
        if (this.inputHolds !== 0) this.lastSeen = Date.now();
        if (Date.now() - this.lastSeen > 2 * hb.recvMs) {
          this.metrics.heartbeatTimeouts++;
          this.session.fail(new StompProtocolError('heartbeat-timeout', `nothing received for more than ${2 * hb.recvMs} ms (twice the agreed heart-beat)`));
        }
      }, hb.recvMs);
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
    this.metrics.slowConsumerDisconnects++;
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
      setImmediate(this.feedUnread);
      return;
    }
    if (this.inputHolds === 0 && !this.closed) this.ws.resume();
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.clearTimers();
    this.flush();
    this.ws.close(this.closeCode);
    // A peer that never answers the close handshake (or never drains) is cut off.
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.limits.closeGraceMs);
    this.graceTimer.unref();
  }

  /** Server shutdown: close with 1001 "going away" after what is queued. */
  goAway(): void {
    if (this.closed) return;
    this.closing = true;
    this.clearTimers();
    this.flush();
    this.ws.close(1001, 'server shutting down');
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.limits.closeGraceMs);
    this.graceTimer.unref();
  }

  // ---------------------------------------------------------------- output

  flush(): void {
    this.scheduled = false;
    const n = this.qFrames.length;
    if (n === 0 || this.closed) return;
    const frames = this.qFrames;
    const extras = this.qExtra;
    const sizes = this.qSizes;
    this.dropQueued();
    if (this.limits.compression) return this.flushThroughWs(frames, extras);
    // One buffer, one socket write for the whole tick; each STOMP frame is still its own
    // WebSocket message (Android reads exactly one frame per message).
    let size = 0;
    for (let i = 0; i < n; i++) size += wsHeaderLength(sizes[i]) + sizes[i];
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    const binaryOut = this.limits.binaryOutput;
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
      if (Buffer.isBuffer(f)) this.ws.send(f, this.limits.binaryOutput ? BINARY : TEXT);
      else this.ws.send(f.deliver(extras[i]), this.limits.binaryOutput || !f.utf8 ? BINARY : TEXT);
    }
    this.socket.uncork();
  }

  private dropQueued(): void {
    this.qFrames = [];
    this.qExtra = [];
    this.qSizes = [];
    this.queuedBytes = 0;
  }

  private slowConsumer(): void {
    this.failSlow(`more than ${this.limits.sendBufferMaxBytes} bytes waiting to be sent to this client; it is not reading fast enough`);
  }

  private clearTimers(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    if (this.recvTimer) clearInterval(this.recvTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.sendTimer = this.recvTimer = this.connectTimer = this.frameTimer = null;
  }
}

/** ws's receiver error codes → our ERROR `message` and the close code ws uses for them (RFC 6455 7.4.1). */
const WS_REFUSALS: Record<string, { stomp: 'bad-encoding' | 'frame-too-large'; ws: number }> = {
  WS_ERR_INVALID_UTF8: { stomp: 'bad-encoding', ws: 1007 },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { stomp: 'frame-too-large', ws: 1009 },
};

const TEXT = { binary: false, compress: false } as const;
const BINARY = { binary: true, compress: false } as const;
