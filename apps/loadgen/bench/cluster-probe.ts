/**
 * bench:cluster's latency probe: a few STOMP connections of its own beside the load, placed on
 * known nodes (the node that accepts a SEND names itself at the end of the message id), timing
 * the same messages to a subscriber on the sender's node and to one on another node.
 */
import WebSocket from 'ws';
import { StompParser } from '../../shared/stomp/parser';
import type { Frame } from '../../shared/stomp/frame';
import { sleep } from '../../shared/sleep';
import type { LatencySamples } from './cluster-latency';

const frame = (command: string, headers: Record<string, string>, body = '') =>
  `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('')}\n${body}\0`;

export class ProbeClient {
  private readonly waiters = new Map<string, () => void>();
  onMessage: (f: Frame) => void = () => {};
  private receipts = 0;

  private constructor(private readonly ws: WebSocket) {
    const parser = new StompParser({ onFrame: (f) => this.frame(f), onHeartbeat: () => {}, version: '1.2' });
    ws.on('message', (d: Buffer) => parser.push(d));
  }

  static async connect(url: string, login: string): Promise<ProbeClient> {
    const ws = new WebSocket(url, ['v12.stomp']);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new ProbeClient(ws);
    const connected = new Promise<void>((r) => c.waiters.set('CONNECTED', r));
    ws.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login, 'heart-beat': '0,0' }));
    await connected;
    return c;
  }

  async subscribe(destination: string, id: string): Promise<void> {
    const r = `r${++this.receipts}`;
    const done = new Promise<void>((res) => this.waiters.set(r, res));
    this.ws.send(frame('SUBSCRIBE', { destination, id, receipt: r }));
    await done;
  }

  send(destination: string, body: string): void {
    this.ws.send(frame('SEND', { destination }, body));
  }

  close(): void {
    this.ws.close();
  }

  private frame(f: Frame): void {
    if (f.command === 'CONNECTED') this.waiters.get('CONNECTED')?.();
    else if (f.command === 'RECEIPT') this.waiters.get(f.headers['receipt-id'])?.();
    else if (f.command === 'MESSAGE') this.onMessage(f);
  }
}

/** Node id that accepted a message (message ids end with it). */
const nodeOf = (messageId: string) => messageId.slice(messageId.indexOf('-', messageId.indexOf('-') + 1) + 1);

/** Connect until there is a client on each of two different nodes. */
export async function clientsOnTwoNodes(url: string, tag: string): Promise<Map<string, ProbeClient>> {
  const byNode = new Map<string, ProbeClient>();
  for (let i = 0; i < 40 && byNode.size < 2; i++) {
    const c = await ProbeClient.connect(url, `${tag}${i}`);
    const probe = `/topic/probe.${tag}${i}`;
    const got = new Promise<string>((r) => (c.onMessage = (f) => r(f.headers['message-id'])));
    await c.subscribe(probe, 'p');
    c.send(probe, 'where');
    const node = nodeOf(await got);
    if (byNode.has(node)) c.close();
    else byNode.set(node, c);
  }
  if (byNode.size < 2) throw new Error('could not place clients on two nodes');
  return byNode;
}

/**
 * The latency probe: a sender on node A, subscribed itself (same node), and a subscriber on
 * node B (cross node), both on one room. Set up once, before any background load, so a run
 * under load only sends. Every message is timed at both subscribers and kept by its send index,
 * so the two deliveries of one message can be compared (cluster-latency.ts).
 */
export class LatencyProbe {
  private runs = 0;
  private current: { tag: string; samples: LatencySamples } | null = null;

  private constructor(
    private readonly a: ProbeClient,
    private readonly b: ProbeClient,
    private readonly room: string,
  ) {}

  static async open(url: string): Promise<LatencyProbe> {
    const [[, a], [, b]] = [...(await clientsOnTwoNodes(url, 'lat'))];
    const room = `/topic/room.latency${Date.now().toString(36)}`;
    const p = new LatencyProbe(a, b, room);
    a.onMessage = p.record('same');
    b.onMessage = p.record('cross');
    await a.subscribe(room, 'lat');
    await b.subscribe(room, 'lat');
    return p;
  }

  private record(side: 'same' | 'cross') {
    return (f: Frame) => {
      const run = this.current;
      if (f.headers.destination !== this.room || !run) return;
      const [tag, i, t] = f.body.toString().split('|');
      if (tag === run.tag) run.samples[side][Number(i)] = performance.now() - Number(t);
    };
  }

  /**
   * Sends one message every `intervalMs` until `count` are sent or `durationMs` has passed,
   * then waits (at most `waitMs`) for the last ones. Missing deliveries stay NaN. `onSent`
   * marks the end of sending (the caller's measurement window, not the wait for stragglers).
   */
  async run(o: { count: number; intervalMs: number; durationMs?: number; waitMs?: number; onSent?: () => void }): Promise<LatencySamples> {
    const samples: LatencySamples = { same: [], cross: [] };
    const tag = `r${++this.runs}`;
    this.current = { tag, samples };
    const end = performance.now() + (o.durationMs ?? Infinity);
    for (let i = 0; i < o.count && performance.now() < end; i++) {
      samples.same.push(NaN);
      samples.cross.push(NaN);
      this.a.send(this.room, `${tag}|${i}|${performance.now()}`);
      await sleep(o.intervalMs);
    }
    o.onSent?.();
    const complete = () => !samples.same.some(Number.isNaN) && !samples.cross.some(Number.isNaN);
    const until = Date.now() + (o.waitMs ?? 10_000);
    while (!complete() && Date.now() < until) await sleep(50);
    this.current = null;
    return samples;
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}

/**
 * Rooms whose members all sit on node A (local) or on A and B (spanning): `rooms` rooms,
 * `messages` each, sent from A; resolves once every message arrived at each member.
 */
export async function placedRooms(url: string, kind: 'local' | 'spanning', rooms: number, messages: number): Promise<{ a: string; b: string }> {
  const [[nodeA, a], [nodeB, b]] = [...(await clientsOnTwoNodes(url, kind))];
  const tag = `${kind}${Date.now().toString(36)}`;
  const expected = rooms * messages;
  let got = 0;
  const want = kind === 'spanning' ? 2 * expected : expected;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const count = (f: Frame) => {
    if (f.headers.destination.startsWith(`/topic/room.${tag}`) && ++got === want) done();
  };
  a.onMessage = count;
  b.onMessage = count;
  for (let i = 0; i < rooms; i++) {
    await a.subscribe(`/topic/room.${tag}.${i}`, `s${i}`);
    if (kind === 'spanning') await b.subscribe(`/topic/room.${tag}.${i}`, `s${i}`);
  }
  for (let m = 0; m < messages; m++) {
    for (let i = 0; i < rooms; i++) a.send(`/topic/room.${tag}.${i}`, String(m));
    await sleep(1);
  }
  await Promise.race([finished, sleep(30_000)]);
  a.close();
  b.close();
  if (got < want) throw new Error(`placed rooms (${kind}): ${got} of ${want} deliveries`);
  return { a: nodeA, b: nodeB };
}
