/**
 * One thread's WebSocket as the JMeter WebSocket Samplers plugin (1.3.x) sees it: frames are
 * read one at a time in arrival order, and a close expects the peer's close frame to be the
 * next frame, failing when an unread data frame comes first ("received not a close frame").
 */
import WebSocket from 'ws';

export type WsEvent = { kind: 'text'; data: string } | { kind: 'binary'; data: Buffer } | { kind: 'close'; code: number; reason: string };

export class WsSamplerConnection {
  private readonly events: WsEvent[] = [];
  private waiter: ((e: WsEvent | null) => void) | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.push(isBinary ? { kind: 'binary', data } : { kind: 'text', data: data.toString('utf8') }));
    ws.on('close', (code: number, reason: Buffer) => this.push({ kind: 'close', code, reason: reason.toString() }));
    ws.on('error', () => {});
  }

  static open(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WsSamplerConnection> {
    const { 'Sec-WebSocket-Protocol': protocol, ...rest } = headers;
    const protocols = protocol ? protocol.split(',').map((p) => p.trim()).filter(Boolean) : undefined;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers: rest, handshakeTimeout: timeoutMs });
      const conn = new WsSamplerConnection(ws);
      ws.once('open', () => resolve(conn));
      ws.once('error', (e) => reject(e));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  private push(e: WsEvent): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(e);
    } else this.events.push(e);
  }

  /** The next frame, or null after `timeoutMs`. */
  next(timeoutMs: number): Promise<WsEvent | null> {
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }

  sendText(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) throw new Error('connection is not open');
    this.ws.send(text);
  }

  /** Send our close frame (a no-op if the peer already closed). */
  close(code: number): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, 'sampler requested close');
  }

  /** Drop the TCP connection (end of thread). */
  dispose(): void {
    this.ws.terminate();
  }
}
