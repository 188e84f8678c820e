/**
 * A raw STOMP-over-WebSocket test client: sends exact bytes, records every incoming
 * WebSocket message verbatim (to check one-frame-per-message and Android's reading rule)
 * and parses each with our codec.
 */
import WebSocket from 'ws';
import { StompParser } from '../../shared/stomp/parser';
import type { Frame } from '../../shared/stomp/frame';

export interface RawClient {
  ws: WebSocket;
  /** Every WebSocket message received, as bytes. */
  messages: Buffer[];
  frames: Frame[];
  heartbeats: number;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  send(data: string | Buffer): void;
  /** Wait until a frame matching `pred` arrives (or time out). */
  waitFor(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  waitForCount(pred: (f: Frame) => boolean, n: number, timeoutMs?: number): Promise<Frame[]>;
  close(code?: number): void;
}

export async function rawConnect(url: string, protocols?: string[], opts?: WebSocket.ClientOptions): Promise<RawClient> {
  const ws = new WebSocket(url, protocols, opts);
  const messages: Buffer[] = [];
  const frames: Frame[] = [];
  let heartbeats = 0;
  let closed = false;
  const parser = new StompParser({ onFrame: (f) => frames.push(f), onHeartbeat: () => heartbeats++, version: '1.2' });
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    messages.push(Buffer.from(data));
    try {
      parser.push(Buffer.from(data));
    } catch {
      /* tests inspect `messages` */
    }
    for (const w of [...waiters]) w();
  });
  const closedP = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      closed = true;
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    }),
  );
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const client: RawClient = {
    ws,
    messages,
    frames,
    get heartbeats() {
      return heartbeats;
    },
    closed: closedP,
    isClosed: () => closed,
    send: (d) => ws.send(d),
    waitFor: (pred, timeoutMs = 5000) => client.waitForCount(pred, 1, timeoutMs).then((f) => f[0]),
    waitForCount: (pred, n, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.filter(pred);
          if (found.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found.slice(0, n));
          } else if (closed) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`connection closed with ${found.length}/${n} matching frames; got ${describeFrames(frames)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timeout: ${frames.filter(pred).length}/${n} matching frames; got ${describeFrames(frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: (code = 1000) => ws.close(code),
  };
  return client;
}

/** The last few frames received, for a failure message that stays readable. */
function describeFrames(frames: Frame[]): string {
  const last = frames.slice(-20).map((f) => f.command + (f.headers.message ? ':' + f.headers.message : ''));
  return `${frames.length} frames${frames.length > 20 ? ', the last 20' : ''}: ${last.join(',')}`;
}

/** A frame as text with a trailing NUL. */
export function frame(command: string, headers: Record<string, string> = {}, body = ''): string {
  return command + '\n' + Object.entries(headers).map(([k, v]) => `${k}:${v}`).join('\n') + (Object.keys(headers).length ? '\n' : '') + '\n' + body + '\0';
}

/**
 * StompProtocolAndroid 1.6.6's reading rule (StompMessage.from): exactly one frame per
 * WebSocket message, every header line matching `([^:\s]+)\s*:\s*([^:\s]+)` in full, LF
 * line ends. Returns the problems found (empty when Android would read it).
 */
export function androidReadProblems(message: Buffer): string[] {
  const text = message.toString('utf8');
  if (text === '\n') return []; // heart-beat
  const problems: string[] = [];
  const nul = text.indexOf('\0');
  if (nul < 0) problems.push('no NUL terminator');
  else if (text.slice(nul + 1).replace(/\n/g, '') !== '') problems.push('more than one frame in one WebSocket message');
  if (text.includes('\r')) problems.push('CR in frame');
  const headEnd = text.indexOf('\n\n');
  const headerLines = text.slice(0, headEnd < 0 ? text.length : headEnd).split('\n').slice(1);
  for (const line of headerLines) {
    if (!/^([^:\s]+)\s*:\s*([^:\s]+)$/.test(line)) problems.push(`header line Android cannot parse: ${JSON.stringify(line)}`);
  }
  return problems;
}
