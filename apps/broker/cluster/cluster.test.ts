/**
 * Three broker nodes in this process, each with its own RabbitMQ connection and queue, rooms
 * spanning them; clients are real WebSocket STOMP clients. Checks exactly-once and per-sender
 * order across nodes, the SUBSCRIBE receipt as a promise, interest-only routing, and the
 * subscribe/unsubscribe race that loses or doubles messages when binds are not serialised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitMQ, type RabbitHandle } from '../../shared/testing/services/index';
import { nodeQueueName, defaultNodeTopology, routingKeyOf } from '../../shared/queue/node-topology';
import { bindingsOf, connectClient, startNode, type Msg, type TestClient, type TestNode } from './testing/cluster-nodes';

let rabbit: RabbitHandle;
let nodes: TestNode[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  rabbit = await startRabbitMQ({ plugins: ['rabbitmq_management'] });
  nodes = await Promise.all(['na', 'nb', 'nc'].map((id) => startNode(rabbit.url, id)));
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(nodes.map((n) => n.close()));
  await rabbit?.stop();
});

async function client(node: TestNode, login: string): Promise<TestClient> {
  const c = await connectClient(node.broker.url, login);
  clients.push(c);
  return c;
}

/** Messages of one sender (body `sender:seq`) in the order received. */
function seqOf(msgs: Msg[], sender: string): number[] {
  return msgs.filter((m) => m.body.startsWith(`${sender}:`)).map((m) => Number(m.body.split(':')[1]));
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('cluster of three nodes', () => {
  it('delivers every message to every subscriber of a room spanning the nodes exactly once, in per-sender order', async () => {
    const [a, b, c] = nodes;
    const room = '/topic/room.span';
    const subs = [await client(a, 'sa1'), await client(a, 'sa2'), await client(b, 'sb'), await client(c, 'sc')];
    for (const [i, s] of subs.entries()) await s.subscribe(room, `s${i}`);
    const senders = [await client(a, 'xa'), await client(b, 'xb'), await client(c, 'xc')];
    const N = 300;
    for (let i = 0; i < N; i++) for (const [k, s] of senders.entries()) s.send(room, `x${k}:${i}`);
    for (const s of subs) await s.waitForMessages((m) => m.destination === room, 3 * N);
    for (const s of senders) await s.sync();
    // Anything doubled would have arrived by now behind the last message of each sender.
    for (const s of subs) await s.sync();
    for (const s of subs) {
      const msgs = s.messages().filter((m) => m.destination === room);
      expect(msgs).toHaveLength(3 * N);
      expect(new Set(msgs.map((m) => m.id)).size).toBe(3 * N);
      for (let k = 0; k < 3; k++) expect(seqOf(msgs, `x${k}`)).toEqual(range(N));
    }
    // The publishing node delivered to its own subscribers once: its own packs came back and were skipped.
    expect(a.cluster.metrics.selfPacks).toBeGreaterThan(0);
  });

  it('keeps the promise of a SUBSCRIBE receipt: a message sent from another node right after it arrives', async () => {
    const [a, b] = nodes;
    const sub = await client(b, 'promise-sub');
    const sender = await client(a, 'promise-send');
    for (let i = 0; i < 30; i++) {
      const dest = `/topic/room.promise${i}`;
      await sub.subscribe(dest, `p${i}`);
      sender.send(dest, `promise:${i}`);
    }
    await sub.waitForMessages((m) => m.destination.startsWith('/topic/room.promise'), 30);
    expect(sub.messages().filter((m) => m.destination.startsWith('/topic/room.promise')).map((m) => m.body)).toEqual(range(30).map((i) => `promise:${i}`));
  });

  it('routes a room only to nodes with subscribers of it (counted at the node and at RabbitMQ)', async () => {
    const [a, b, c] = nodes;
    const room = '/topic/room.interest';
    const sb = await client(b, 'int-b');
    await sb.subscribe(room, 'i');
    const sender = await client(a, 'int-a');
    for (let i = 0; i < 200; i++) sender.send(room, `int:${i}`);
    await sb.waitForMessages((m) => m.destination === room, 200);
    await sender.sync();
    const cQueue = nodeQueueName(defaultNodeTopology, c.cluster.nodeId);
    expect(await bindingsOf(rabbit.managementUrl!, cQueue, defaultNodeTopology.exchange)).not.toContain(routingKeyOf(room));
    expect(c.received.filter((d) => d === room)).toEqual([]);
    expect(b.received.filter((d) => d === room)).toHaveLength(200);
    for (const n of nodes) expect(n.cluster.metrics.unwanted, n.cluster.nodeId).toBe(0);
  });

  it('survives 1,000 rapid subscribe/unsubscribe/resubscribe cycles on one node while another sends: bindings equal subscriptions, steady subscribers get everything once', async () => {
    const [a, b, c] = nodes;
    const dests = range(5).map((i) => `/topic/room.race${i}`);
    const steady = await client(c, 'race-steady');
    for (const [i, d] of dests.entries()) await steady.subscribe(d, `st${i}`);
    const churn = await client(a, 'race-churn');
    const sender = await client(b, 'race-send');

    // The sender keeps sending while the churner flaps the node's bindings as fast as frames go.
    let sent = 0;
    let churning = true;
    const sending = (async () => {
      while (churning || sent < 500) {
        for (const d of dests) sender.send(d, `race:${sent}`);
        sent++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Deterministic pseudo-random walk: subscribe / unsubscribe / resubscribe on random destinations.
    let seed = 1;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    // At most one kept subscription per destination, so destinations empty and refill all the time.
    const active = new Map<string, string>(); // subscription id → destination
    const kept = new Map<string, string>(); // destination → subscription id
    let next = 0;
    for (let cycle = 0; cycle < 1_000; cycle++) {
      // The last cycles visit every destination: some end subscribed, some not.
      const last = cycle >= 1_000 - dests.length;
      const d = last ? dests[cycle % dests.length] : dests[rnd(dests.length)];
      const old = kept.get(d);
      if (old !== undefined) {
        churn.unsubscribeNow(old);
        active.delete(old);
        kept.delete(d);
      }
      const id = `c${next++}`;
      churn.subscribeNow(d, id);
      churn.unsubscribeNow(id);
      const again = `c${next++}`;
      churn.subscribeNow(d, again);
      if (last ? cycle % 2 === 0 : rnd(2) === 0) churn.unsubscribeNow(again);
      else {
        active.set(again, d);
        kept.set(d, again);
      }
      if (cycle % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    await churn.sync();
    churning = false;
    await sending;
    await sender.sync();
    const total = sent;

    // Steady subscribers on a third node: every message exactly once, in order.
    await steady.waitForMessages((m) => m.destination.startsWith('/topic/room.race'), total * dests.length, 60_000);
    await steady.sync();
    for (const d of dests) {
      const got = steady.messages().filter((m) => m.destination === d).map((m) => Number(m.body.split(':')[1]));
      expect(got).toEqual(range(total));
    }

    // Bindings at RabbitMQ equal the churning node's subscriptions (after the hooks settle).
    await Promise.all(dests.map((d) => a.broker.hub.settled(d)));
    const subscribed = new Set(active.values());
    expect(subscribed.size).toBeGreaterThan(0);
    expect(subscribed.size).toBeLessThan(dests.length);
    const aQueue = nodeQueueName(defaultNodeTopology, a.cluster.nodeId);
    const boundAtRabbit = await bindingsOf(rabbit.managementUrl!, aQueue, defaultNodeTopology.exchange);
    expect(boundAtRabbit.filter((k) => k.startsWith('/topic/room.race'))).toEqual([...subscribed].sort());
    expect([...a.cluster.wanted].filter((k) => k.startsWith('/topic/room.race')).sort()).toEqual([...subscribed].sort());

    // And the bindings work: a message now reaches each remaining subscription once.
    for (const d of dests) sender.send(d, 'race:final');
    const finals = [...active.keys()].length;
    await churn.waitForMessages((m) => m.body === 'race:final', finals);
    await churn.sync();
    const finalsBySub = churn.messages().filter((m) => m.body === 'race:final').map((m) => m.subscription).sort();
    expect(finalsBySub).toEqual([...active.keys()].sort());
    // No subscription saw a message twice.
    const perSub = new Map<string, Set<string>>();
    for (const m of churn.messages()) {
      const seen = perSub.get(m.subscription) ?? new Set<string>();
      expect(seen.has(m.id), `${m.subscription} got ${m.id} twice`).toBe(false);
      seen.add(m.id);
      perSub.set(m.subscription, seen);
    }
  }, 120_000);
});
