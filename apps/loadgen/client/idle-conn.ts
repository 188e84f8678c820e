/**
 * The lightest connection the idle benchmark can hold 100,000 of: a raw `ws` socket, a CONNECT
 * with heart-beats, one SUBSCRIBE with a receipt, then nothing but heart-beats. No parser: an
 * idle connection receives CONNECTED, one RECEIPT and EOLs, so the first bytes of each message
 * are enough. Heart-beats are sent by the owner's shared timer (`beat`), not one timer each.
 */
import WebSocket from 'ws';

export interface IdleConnOptions {
  url: string;
  /** Source address to bind (127.0.0.x): one address has ~28,000 ports towards one server. */
  localAddress: string;
  /**
   * Source port to bind. Linux finds a free port for bind() with port 0 by scanning the port
   * range (inet_csk_get_port), which grows with every port the address already holds: at tens
   * of thousands of connections the kernel time of that scan dominates opening. A port chosen
   * here is one hash lookup.
   */
  localPort?: number;
  login: string;
  destination: string;
  heartBeatMs: number;
  timeoutMs: number;
}

export interface IdleConnEvents {
  /** The server closed it, or the socket failed, after it was established. */
  onDrop(kind: string): void;
}

const enc = (command: string, headers: Record<string, string>) =>
  `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('')}\n\0`;

export class IdleConn {
  private ws: WebSocket | null = null;
  private established = false;
  private closing = false;
  /** When the server last sent anything (performance.now()). */
  lastRx = 0;
  /** Longest silence from the server seen so far, ms. */
  maxGapMs = 0;
  /** Silences longer than 1.5× and 2× the agreed server heart-beat. */
  late = 0;
  missed = 0;

  constructor(private readonly o: IdleConnOptions, private readonly events: IdleConnEvents) {}

  /** Resolves once subscribed (RECEIPT); rejects with a short kind on any failure. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      let step: 'connect' | 'subscribe' = 'connect';
      const fail = (kind: string) => {
        if (this.established) return this.drop(kind);
        clearTimeout(timer);
        this.closing = true;
        this.ws?.terminate();
        reject(new Error(kind));
      };
      const timer = setTimeout(() => fail(`${step}-timeout`), this.o.timeoutMs);
      const ws = new WebSocket(this.o.url, ['v12.stomp'], { perMessageDeflate: false, skipUTF8Validation: true, localAddress: this.o.localAddress, localPort: this.o.localPort, handshakeTimeout: this.o.timeoutMs });
      this.ws = ws;
      ws.on('unexpected-response', (_q, res) => fail(`http-${res.statusCode}`));
      ws.on('error', (e: NodeJS.ErrnoException) => fail(`error-${e.code ?? 'ws'}`));
      ws.on('close', (code) => fail(`closed-${code}`));
      ws.on('open', () => ws.send(enc('CONNECT', { 'accept-version': '1.2', host: '127.0.0.1', login: this.o.login, 'heart-beat': `${this.o.heartBeatMs},${this.o.heartBeatMs}` })));
      ws.on('message', (d: Buffer) => {
        this.received();
        if (this.established || d.length === 0 || d[0] === 0x0a || d[0] === 0x0d) return;
        const head = d.toString('latin1', 0, 16);
        if (step === 'connect' && head.startsWith('CONNECTED')) {
          step = 'subscribe';
          ws.send(enc('SUBSCRIBE', { id: 's', destination: this.o.destination, ack: 'auto', receipt: 'r' }));
        } else if (step === 'subscribe' && head.startsWith('RECEIPT')) {
          clearTimeout(timer);
          this.established = true;
          this.lastRx = performance.now();
          resolve();
        } else {
          fail(head.startsWith('ERROR') ? `stomp-error` : `unexpected-${head.split('\n')[0]}`);
        }
      });
    });
  }

  /** Send one heart-beat (an EOL). */
  beat(): void {
    if (this.established && !this.closing && this.ws?.readyState === WebSocket.OPEN) this.ws.send('\n');
  }

  /** Reset the silence record (start of the hold). */
  resetGaps(now: number): void {
    this.lastRx = now;
    this.maxGapMs = 0;
    this.late = 0;
    this.missed = 0;
  }

  /** Count the silence still running at `now` as well (the end of the hold). */
  settleGap(now: number): void {
    if (this.established && !this.closing) this.gap(now - this.lastRx);
  }

  close(): void {
    this.closing = true;
    this.ws?.terminate();
  }

  private received(): void {
    if (!this.established) return;
    const now = performance.now();
    this.gap(now - this.lastRx);
    this.lastRx = now;
  }

  private gap(ms: number): void {
    if (ms > this.maxGapMs) this.maxGapMs = ms;
    if (ms > 2 * this.o.heartBeatMs) this.missed++;
    else if (ms > 1.5 * this.o.heartBeatMs) this.late++;
  }

  private drop(kind: string): void {
    if (this.closing) return;
    this.closing = true;
    this.events.onDrop(kind);
  }
}
