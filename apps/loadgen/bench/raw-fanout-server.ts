/**
 * The thinnest STOMP-shaped server the load generator can drive: the ceiling of this stack
 * (Node + ws + loopback) for bench:core (b), and, with `faults`, a misbehaving broker that
 * proves the loss / duplicate / order detectors work.
 *
 * It understands just enough: CONNECT → CONNECTED, SUBSCRIBE/UNSUBSCRIBE (exact destination
 * map, RECEIPT when asked), SEND → one MESSAGE encoded once per distinct subscription id and
 * written to every subscriber, DISCONNECT → RECEIPT and close. Writes to each socket are
 * corked per tick (one writev for many frames). No limits, no auth, no validation: never a
 * product, only a yardstick on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Faults {
  /** Skip every Nth delivery. */
  dropEvery?: number;
  /** Deliver every Nth delivery twice. */
  duplicateEvery?: number;
  /** Hold every Nth delivery back and write it after the next one to the same subscriber. */
  reorderEvery?: number;
}

export interface RawServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

interface Sub {
  ws: WebSocket;
  id: string;
}

interface Client {
  subs: Map<string, string>; // subscription id -> destination
  held: Buffer | null;
}

const LF = 0x0a;

/** Minimal frame split: command, headers (first wins, no unescaping), body. */
function split(data: Buffer): { command: string; headers: Record<string, string>; body: Buffer } | null {
  let start = 0;
  while (start < data.length && (data[start] === LF || data[start] === 0x0d)) start++; // heart-beats
  if (start >= data.length) return null;
  const end = data.indexOf('\n\n', start);
  if (end < 0) return null;
  const lines = data.toString('utf8', start, end).split('\n');
  const headers: Record<string, string> = Object.create(null);
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) {
      const k = lines[i].slice(0, c);
      if (!(k in headers)) headers[k] = lines[i].slice(c + 1).replace(/\r$/, '');
    }
  }
  const cl = headers['content-length'];
  const bodyStart = end + 2;
  const bodyEnd = cl !== undefined ? bodyStart + Number(cl) : data.indexOf(0, bodyStart);
  return { command: lines[0].replace(/\r$/, ''), headers, body: data.subarray(bodyStart, bodyEnd < 0 ? data.length : bodyEnd) };
}

export async function startRawFanoutServer(opts: { port?: number; host?: string; path?: string; faults?: Faults } = {}): Promise<RawServer> {
  const faults = opts.faults ?? {};
  const path = opts.path ?? '/ws';
  const topics = new Map<string, Sub[]>();
  const clients = new Map<WebSocket, Client>();
  const corked = new Set<WebSocket>();
  let nextId = 0;
  let deliveries = 0;

  const flush = () => {
    for (const ws of corked) (ws as unknown as { _socket: { uncork(): void } })._socket.uncork();
    corked.clear();
  };
  const write = (ws: WebSocket, buf: Buffer) => {
    if (ws.readyState !== 1) return;
    if (!corked.has(ws)) {
      if (corked.size === 0) setImmediate(flush);
      corked.add(ws);
      (ws as unknown as { _socket: { cork(): void } })._socket.cork();
    }
    ws.send(buf);
  };
  const deliver = (sub: Sub, buf: Buffer) => {
    const n = ++deliveries;
    if (faults.dropEvery && n % faults.dropEvery === 0) return;
    const c = clients.get(sub.ws);
    if (faults.reorderEvery && c) {
      if (c.held === null && n % faults.reorderEvery === 0) {
        c.held = buf;
        // released behind the next delivery to this subscriber, or after a moment if none comes
        setTimeout(() => {
          if (c.held === buf) {
            c.held = null;
            write(sub.ws, buf);
          }
        }, 50);
        return;
      }
      write(sub.ws, buf);
      if (c.held) {
        write(sub.ws, c.held);
        c.held = null;
      }
    } else write(sub.ws, buf);
    if (faults.duplicateEvery && n % faults.duplicateEvery === 0) write(sub.ws, buf);
  };

  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({
    server: http,
    path,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('v12.stomp') ? 'v12.stomp' : false),
  });
  wss.on('connection', (ws) => {
    const client: Client = { subs: new Map(), held: null };
    clients.set(ws, client);
    const unsubscribe = (id: string) => {
      const dest = client.subs.get(id);
      if (dest === undefined) return;
      client.subs.delete(id);
      const list = topics.get(dest)!.filter((s) => !(s.ws === ws && s.id === id));
      if (list.length) topics.set(dest, list);
      else topics.delete(dest);
    };
    ws.on('close', () => {
      for (const id of [...client.subs.keys()]) unsubscribe(id);
      clients.delete(ws);
      corked.delete(ws);
    });
    ws.on('message', (data: Buffer) => {
      const f = split(data);
      if (!f) return;
      const receipt = f.headers.receipt;
      switch (f.command) {
        case 'CONNECT':
        case 'STOMP':
          write(ws, Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'));
          return;
        case 'SUBSCRIBE': {
          const dest = f.headers.destination;
          const id = f.headers.id;
          client.subs.set(id, dest);
          const list = topics.get(dest);
          if (list) list.push({ ws, id });
          else topics.set(dest, [{ ws, id }]);
          break;
        }
        case 'UNSUBSCRIBE':
          unsubscribe(f.headers.id);
          break;
        case 'SEND': {
          const dest = f.headers.destination;
          const list = topics.get(dest);
          if (list) {
            // encode once per distinct subscription id (the load generator uses one id everywhere)
            const head = `MESSAGE\ndestination:${dest}\nmessage-id:${nextId++}\ncontent-type:text/plain\ncontent-length:${f.body.length}\n`;
            const cache = new Map<string, Buffer>();
            for (const sub of list) {
              let buf = cache.get(sub.id);
              if (!buf) {
                buf = Buffer.concat([Buffer.from(`${head}subscription:${sub.id}\n\n`), f.body, Buffer.from([0])]);
                cache.set(sub.id, buf);
              }
              deliver(sub, buf);
            }
          }
          break;
        }
        case 'DISCONNECT':
          if (receipt) write(ws, Buffer.from(`RECEIPT\nreceipt-id:${receipt}\n\n\0`));
          setImmediate(() => ws.close(1000));
          return;
      }
      if (receipt) write(ws, Buffer.from(`RECEIPT\nreceipt-id:${receipt}\n\n\0`));
    });
  });
  await new Promise<void>((resolve) => http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
