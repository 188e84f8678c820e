/**
 * Failures of a cluster on a real RabbitMQ: a node killed with -9 during traffic (a child
 * process running `npm run broker`'s code), RabbitMQ restarted under running nodes, and
 * BROKER_PROCESSES=2 (one port, two nodes, a room spanning them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRabbitMQ, freePort, type RabbitHandle, type ServiceHandle } from '../../shared/testing/services/index';
import { defaultNodeTopology, nodeQueueName, routingKeyOf } from '../../shared/queue/node-topology';
import { HISTORY_AFTER_HEADER } from '../session/session';
import { bindingsOf, connectClient, queueExists, startNode, type TestClient, type TestNode } from './testing/cluster-nodes';
import { spawnBroker, type BrokerChild } from './testing/broker-child';
import { sleep } from '../../shared/sleep';

let rabbit: RabbitHandle;
let pg: ServiceHandle;
const nodes: TestNode[] = [];
const children: BrokerChild[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  [rabbit, pg] = await Promise.all([startRabbitMQ({ plugins: ['rabbitmq_management'] }), startPostgres()]);
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const c of children) c.signal('SIGKILL');
  await Promise.all(nodes.map((n) => n.close()));
  await Promise.all([rabbit?.stop(), pg?.stop()]);
});

async function node(id: string, env: Record<string, string> = {}): Promise<TestNode> {
  const n = await startNode(rabbit.url, id, env);
  nodes.push(n);
  return n;
}
async function client(url: string, login: string): Promise<TestClient> {
  const c = await connectClient(url, login);
  clients.push(c);
  return c;
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const numbers = (c: TestClient, dest: string) => c.messages().filter((m) => m.destination === dest).map((m) => Number(m.body));
const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('cluster failures', () => {
  it('kill -9 of a node during traffic: the others keep delivering, its queue goes, its clients recover with x-history-after', async () => {
    const a = await node('fa', { RECENT_RING_SIZE: '100000', HISTORY_MAX: '100000' });
    const b = await node('fb');
    const k = spawnBroker(await freePort(), { AMQP_URL: rabbit.url, DATABASE_URL: pg.url, NODE_ID: 'killed' });
    children.push(k);
    await k.ready();
    const room = '/topic/room.kill';
    const onB = await client(b.broker.url, 'kb');
    const onK = await client(`ws://127.0.0.1:${k.port}/ws`, 'kk');
    await onB.subscribe(room, 'b');
    await onK.subscribe(room, 'k');
    const sender = await client(a.broker.url, 'ka');

    let sent = 0;
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        sender.send(room, String(sent++));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await onK.waitForMessages((m) => m.destination === room, 50);
    const lastAtK = onK.messages().filter((m) => m.destination === room).at(-1)!;

    k.signal('SIGKILL');
    expect(await k.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const queue = nodeQueueName(defaultNodeTopology, 'killed');
    await until('the killed node\'s queue is gone', async () => !(await queueExists(rabbit.managementUrl!, queue)));
    const sentAtKill = sent;
    await onB.waitForMessages((m) => m.destination === room && Number(m.body) >= sentAtKill + 100, 1);

    // The killed node's client comes back on another node and asks for what it missed.
    const back = await client(a.broker.url, 'kk');
    await back.subscribe(room, 'k2', { [HISTORY_AFTER_HEADER]: lastAtK.id });
    await onB.waitForMessages((m) => m.destination === room && Number(m.body) >= sentAtKill + 200, 1);
    sending = false;
    await traffic;
    await sender.sync();
    await onB.waitForMessages((m) => m.destination === room, sent);
    await back.waitForMessages((m) => m.destination === room, sent - Number(lastAtK.body) - 1);
    await onB.sync();
    await back.sync();

    expect(numbers(onB, room)).toEqual(range(0, sent));
    const before = numbers(onK, room).filter((n) => n <= Number(lastAtK.body));
    expect([...before, ...numbers(back, room)]).toEqual(range(0, sent));
  }, 180_000);

  it('RabbitMQ restarted: nodes report not ready, deliver locally, count what they could not relay, then restore every binding and deliver again', async () => {
    const a = await node('ra');
    const b = await node('rb');
    const rooms = ['/topic/room.restart1', '/topic/room.restart2', '/topic/room.restart3'];
    const onA = await client(a.broker.url, 'ra');
    const onB = await client(b.broker.url, 'rb');
    for (const [i, r] of rooms.entries()) {
      await onA.subscribe(r, `a${i}`);
      await onB.subscribe(r, `b${i}`);
    }
    const sender = await client(a.broker.url, 'rs');
    sender.send(rooms[0], '0');
    await onB.waitForMessages((m) => m.body === '0', 1);

    const restarted = rabbit.restart();
    // While RabbitMQ is away: /readyz says why, local subscribers still get messages, relaying counts them missed.
    await until('node A notices RabbitMQ is gone', () => a.cluster.notReady() !== null);
    const readyz = await fetch(`${a.broker.httpUrl}/readyz`);
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { reasons: string[] }).reasons).toContain('cluster-disconnected');
    const missedBefore = a.cluster.metrics.missed.disconnected;
    for (let i = 1; i <= 10; i++) sender.send(rooms[0], String(i));
    await onA.waitForMessages((m) => m.destination === rooms[0], 11);
    expect(a.cluster.metrics.missed.disconnected - missedBefore).toBe(10);
    await restarted;

    // Back: both nodes ready (queue declared, bindings restored), RabbitMQ holds every binding, delivery resumes.
    for (const n of [a, b]) await until(`node ${n.cluster.nodeId} ready again`, async () => (await fetch(`${n.broker.httpUrl}/readyz`)).status === 200);
    for (const n of [a, b]) {
      const q = nodeQueueName(defaultNodeTopology, n.cluster.nodeId);
      expect(await bindingsOf(rabbit.managementUrl!, q, defaultNodeTopology.exchange)).toEqual(expect.arrayContaining(rooms.map(routingKeyOf)));
    }
    for (const r of rooms) sender.send(r, 'after');
    await onB.waitForMessages((m) => m.body === 'after', rooms.length);
    expect(numbers(onB, rooms[0]).filter((n) => !Number.isNaN(n))).toEqual([0]);
  }, 180_000);

  it('BROKER_PROCESSES=2: one port, two nodes, a room spanning them', async () => {
    const port = await freePort();
    const bp = spawnBroker(port, { AMQP_URL: rabbit.url, DATABASE_URL: pg.url, NODE_ID: 'bp', BROKER_PROCESSES: '2' });
    children.push(bp);
    await bp.ready();
    const url = `ws://127.0.0.1:${port}/ws`;
    // Find a client on each node: the node that accepts a SEND names itself in the message id.
    // The port answers once the first worker listens; node:cluster hands connections only to
    // workers already listening, so on a busy machine the first clients may all reach one.
    const byNode = new Map<string, TestClient>();
    const until = Date.now() + 60_000;
    for (let i = 0; byNode.size < 2 && Date.now() < until; i++) {
      if (i >= 20) await sleep(250);
      const c = await client(url, `bp${i}`);
      const probe = `/topic/probe.bp${i}`;
      await c.subscribe(probe, 'p');
      c.send(probe, 'probe');
      await c.waitForMessages((m) => m.destination === probe, 1);
      const nodeId = c.messages()[0].id.split('-').at(-1)!;
      if (!byNode.has(nodeId)) byNode.set(nodeId, c);
    }
    expect([...byNode.keys()].sort()).toEqual(['bp.0', 'bp.1']);
    for (const id of ['bp.0', 'bp.1']) expect(await queueExists(rabbit.managementUrl!, nodeQueueName(defaultNodeTopology, id)), id).toBe(true);

    const room = '/topic/room.processes';
    const [c0, c1] = [byNode.get('bp.0')!, byNode.get('bp.1')!];
    await c0.subscribe(room, 'r');
    await c1.subscribe(room, 'r');
    for (let i = 0; i < 50; i++) {
      c0.send(room, `0:${i}`);
      c1.send(room, `1:${i}`);
    }
    for (const c of [c0, c1]) await c.waitForMessages((m) => m.destination === room, 100);
    for (const c of [c0, c1]) {
      await c.sync();
      const bodies = c.messages().filter((m) => m.destination === room).map((m) => m.body);
      expect(bodies).toHaveLength(100);
      for (const s of ['0', '1']) expect(bodies.filter((x) => x.startsWith(`${s}:`))).toEqual(range(0, 50).map((i) => `${s}:${i}`));
    }

    bp.signal('SIGTERM');
    expect(await bp.exited, bp.output().slice(-2000)).toEqual({ code: 0, signal: null });
  }, 180_000);
});
