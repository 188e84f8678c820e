/**
 * A lean STOMP-over-WebSocket client for load generation, on `ws` and the shared codec.
 * It speaks to any broker (ours, RabbitMQ Web-STOMP, Spring): one frame per WebSocket
 * message is the fast path for MESSAGE frames (only the body is needed: one subscription
 * per connection), anything else goes through the incremental StompParser, so frames split
 * over several messages or packed into one still work.
 */
import WebSocket from 'ws';
import { StompParser } from '../../shared/stomp/parser';
import { encodeFrame } from '../../shared/stomp/encoder';
import type { Frame, StompVersion } from '../../shared/stomp/frame';

export interface ConnOptions {
  url: string;
  subprotocols: string[];
  connectHeaders: Record<string, string | undefined>;
  /** Extra HTTP headers for the upgrade request (e.g. Authorization). */
  httpHeaders?: Record<string, string>;
  /** ms for the WebSocket handshake plus CONNECTED. */
  connectTimeoutMs: number;
}

export interface ConnEvents {
  /** Body of a MESSAGE frame (a view valid only during the call). */
  onMessage(body: Buffer): void;
  /** A STOMP ERROR frame, an unexpected close, or a socket error. `kind` is a short tag. */
  onFailure(kind: string, detail: string): void;
}

interface PendingReceipt {
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const MESSAGE_PREFIX = Buffer.from('MESSAGE\n');
const HEADER_END = Buffer.from('\n\n');

export class ReceiptTimeout extends Error {}

export class StompConn {
  private ws: WebSocket | null = null;
  private parser: StompParser;
  private version: StompVersion = '1.2';
  private receipts = new Map<string, PendingReceipt>();
  private nextReceipt = 0;
  private connected: ((f: Frame) => void) | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Set once we initiated the close; later close/error events are not failures. */
  private closing = false;
  private failed = false;
  private stompConnected = false;
  private closedPromise: Promise<void> | null = null;

  constructor(private readonly opts: ConnOptions, private readonly events: ConnEvents) {
    this.parser = new StompParser({ onFrame: (f) => this.onFrame(f), maxFrameBytes: 64 * 1024 * 1024, maxBodyBytes: 64 * 1024 * 1024 });
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && !this.failed;
  }

  /** Bytes queued in the socket but not yet written. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** Run `fn` with the socket corked, so the frames it sends leave in one write. */
  corked(fn: () => void): void {
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } } | null)?._socket;
    if (!socket) return fn();
    socket.cork();
    try {
      fn();
    } finally {
      socket.uncork();
    }
  }

  /** Open the socket and complete CONNECT; resolves with the CONNECTED frame. */
  connect(): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail('connect-timeout', `no CONNECTED within ${this.opts.connectTimeoutMs} ms`), this.opts.connectTimeoutMs);
      const fail = (kind: string, detail: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.failed = true;
        this.terminate();
        reject(Object.assign(new Error(detail), { kind }));
      };
      const ws = new WebSocket(this.opts.url, this.opts.subprotocols, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: this.opts.connectTimeoutMs,
        headers: this.opts.httpHeaders,
      });
      this.ws = ws;
      this.closedPromise = new Promise((r) => ws.once('close', () => r()));
      ws.on('unexpected-response', (_req, res) => fail(`http-${res.statusCode}`, `upgrade refused with HTTP ${res.statusCode}`));
      ws.on('error', (e: NodeJS.ErrnoException) => {
        if (!settled) fail(`connect-${e.code ?? 'error'}`, e.message);
        else this.fail(`socket-${e.code ?? 'error'}`, e.message);
      });
      ws.on('close', (code) => {
        if (!settled) fail(`connect-closed-${code}`, `closed with ${code} before CONNECTED`);
        else if (!this.closing) this.fail(`closed-${code}`, `server closed the connection (${code})`);
        this.stopHeartbeat();
        for (const [, p] of this.receipts) {
          clearTimeout(p.timer);
          p.reject(new Error('connection closed'));
        }
        this.receipts.clear();
      });
      ws.on('message', (data: Buffer) => this.onData(data));
      this.connected = (f) => {
        if (settled) return;
        if (f.command === 'ERROR') return fail(`connect-error-${f.headers.message ?? 'unknown'}`, f.body.toString('utf8', 0, 200));
        settled = true;
        clearTimeout(timer);
        this.stompConnected = true;
        const v = f.headers.version;
        this.version = v === '1.0' || v === '1.1' || v === '1.2' ? v : '1.0';
        this.parser.setVersion(this.version);
        this.startHeartbeat(f.headers['heart-beat']);
        resolve(f);
      };
      ws.on('open', () => {
        ws.send(encodeFrame('CONNECT', this.opts.connectHeaders, '', null));
      });
    });
  }

  private onData(data: Buffer): void {
    // Fast path: a whole MESSAGE frame in one WebSocket message (every broker we know does this).
    if (this.parser.idle && data.length > 9 && data.compare(MESSAGE_PREFIX, 0, 8, 0, 8) === 0) {
      let end = data.length - 1;
      while (end > 0 && (data[end] === 0x0a || data[end] === 0x0d)) end--;
      const h = data.indexOf(HEADER_END);
      if (data[end] === 0 && h > 0 && data.indexOf(0, h + 2) === end) {
        this.events.onMessage(data.subarray(h + 2, end));
        return;
      }
    }
    try {
      this.parser.push(data);
    } catch (e) {
      this.fail('bad-frame', (e as Error).message);
    }
  }

  private onFrame(f: Frame): void {
    switch (f.command) {
      case 'MESSAGE':
        this.events.onMessage(f.body);
        return;
      case 'CONNECTED':
        this.connected?.(f);
        return;
      case 'RECEIPT': {
        const id = f.headers['receipt-id'];
        const p = id === undefined ? undefined : this.receipts.get(id);
        if (p) {
          this.receipts.delete(id!);
          clearTimeout(p.timer);
          p.resolve();
        }
        return;
      }
      case 'ERROR':
        if (!this.stompConnected) {
          this.connected?.(f);
          return;
        }
        this.fail(`stomp-error-${f.headers.message ?? 'unknown'}`, f.body.toString('utf8', 0, 200));
        return;
      default:
        this.fail('unexpected-frame', `unexpected ${f.command} frame`);
    }
  }

  private fail(kind: string, detail: string): void {
    if (this.closing || this.failed) return;
    this.failed = true;
    this.events.onFailure(kind, detail);
  }

  private startHeartbeat(server: string | undefined): void {
    const [cx] = this.opts.connectHeaders['heart-beat']?.split(',').map(Number) ?? [0];
    const sy = Number(server?.split(',')[1] ?? 0);
    if (!(cx > 0) || !(sy > 0)) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send('\n');
    }, Math.max(cx, sy));
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private nextReceiptId(prefix: string): string {
    return `${prefix}-${this.nextReceipt++}`;
  }

  private expectReceipt(id: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.receipts.delete(id);
        reject(new ReceiptTimeout(`no RECEIPT ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.receipts.set(id, { resolve, reject, timer });
    });
  }

  private write(frame: Buffer): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** SUBSCRIBE (ack auto); with a timeout, waits for its RECEIPT. */
  subscribe(id: string, destination: string, receiptTimeoutMs?: number): Promise<void> {
    const receipt = receiptTimeoutMs !== undefined ? this.nextReceiptId('sub') : undefined;
    const wait = receipt ? this.expectReceipt(receipt, receiptTimeoutMs!) : Promise.resolve();
    this.write(encodeFrame('SUBSCRIBE', { id, destination, ack: 'auto', receipt }, '', this.version));
    return wait;
  }

  unsubscribe(id: string, receiptTimeoutMs?: number): Promise<void> {
    const receipt = receiptTimeoutMs !== undefined ? this.nextReceiptId('unsub') : undefined;
    const wait = receipt ? this.expectReceipt(receipt, receiptTimeoutMs!) : Promise.resolve();
    this.write(encodeFrame('UNSUBSCRIBE', { id, receipt }, '', this.version));
    return wait;
  }

  /** SEND with content-length; with a timeout, resolves on its RECEIPT. */
  send(destination: string, body: Buffer, receiptTimeoutMs?: number): Promise<void> | undefined {
    const receipt = receiptTimeoutMs !== undefined ? this.nextReceiptId('send') : undefined;
    const wait = receipt ? this.expectReceipt(receipt, receiptTimeoutMs!) : undefined;
    this.write(
      encodeFrame(
        'SEND',
        { destination, 'content-type': 'text/plain', 'content-length': body.length, receipt },
        body,
        this.version,
      ),
    );
    return wait;
  }

  /**
   * DISCONNECT with a receipt, then close 1000. Resolves true when the RECEIPT came
   * (RabbitMQ Web-STOMP sends none over WebSocket: false is not an error there).
   */
  async disconnect(receiptTimeoutMs: number): Promise<boolean> {
    if (!this.isOpen) {
      this.close();
      return false;
    }
    const id = this.nextReceiptId('bye');
    const wait = this.expectReceipt(id, receiptTimeoutMs);
    this.write(encodeFrame('DISCONNECT', { receipt: id }, '', this.version));
    let ok = true;
    try {
      await wait;
    } catch {
      ok = false;
    }
    this.close();
    return ok;
  }

  /** Close 1000 (a normal close; the broker must treat it as disconnect). */
  close(): void {
    this.closing = true;
    this.stopHeartbeat();
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  }

  terminate(): void {
    this.closing = true;
    this.stopHeartbeat();
    this.ws?.terminate();
  }

  /** Resolves when the socket is closed (or at once if it never opened). */
  closed(): Promise<void> {
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return this.closedPromise ?? Promise.resolve();
  }
}
