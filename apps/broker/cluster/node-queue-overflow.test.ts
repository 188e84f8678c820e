/**
 * A node too slow to read: its queue fills to CLUSTER_QUEUE_MAX_BYTES and RabbitMQ refuses
 * further packs for it (reject-publish). The publishing node gets each refusal as a nack and
 * counts the pack's messages as missed, so what the slow node never got is counted; nodes with
 * room in their queue still get every message. Real RabbitMQ; the slow node is a bare queue
 * declared like a node's and never read.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitMQ, type RabbitHandle } from '../../shared/testing/services/index';
import { declareNodeQueue, defaultNodeTopology, routingKeyOf } from '../../shared/queue/node-topology';
import { decodePack } from '../../shared/queue/pack-codec';
import { sleep } from '../../shared/sleep';
import { connectClient, startNode, type TestClient, type TestNode } from './testing/cluster-nodes';

let rabbit: RabbitHandle;
let nodes: TestNode[] = [];
let slowConn: ChannelModel | null = null;
const clients: TestClient[] = [];

beforeAll(async () => {
  rabbit = await startRabbitMQ();
  nodes = await Promise.all(['oa', 'ob'].map((id) => startNode(rabbit.url, id)));
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await slowConn?.close().catch(() => undefined);
  await Promise.all(nodes.map((n) => n.close()));
  await rabbit?.stop();
});

describe('a full node queue', () => {
  it('refuses packs, and the publishing node counts every message the slow node did not get', async () => {
    const [a, b] = nodes;
    const room = '/topic/room.overflow';
    slowConn = await amqp.connect(rabbit.url);
    const ch = await slowConn.createChannel();
    const slowQueue = await declareNodeQueue(ch, { ...defaultNodeTopology, queueMaxBytes: 4096 }, 'slow');
    await ch.bindQueue(slowQueue, defaultNodeTopology.exchange, routingKeyOf(room));

    const onB = await connectClient(b.broker.url, 'ob');
    const sender = await connectClient(a.broker.url, 'oa');
    clients.push(onB, sender);
    await onB.subscribe(room, 'b');
    const N = 100;
    const body = 'x'.repeat(200);
    // One message per turn, so one pack each: the queue takes about a dozen before it is full.
    for (let i = 0; i < N; i++) {
      sender.send(room, `${i}:${body}`);
      await sleep(3);
    }
    await sender.sync();
    await onB.waitForMessages((m) => m.destination === room, N);

    let queued = 0;
    for (let m = await ch.get(slowQueue, { noAck: true }); m; m = await ch.get(slowQueue, { noAck: true })) queued += decodePack(m.content).length;
    const until = Date.now() + 10_000;
    while (a.cluster.metrics.missed.rejected + queued < N && Date.now() < until) await sleep(50);
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(N);
    expect(a.cluster.metrics.missed.rejected).toBe(N - queued);
    // The node with room got everything; nothing was counted against the other reasons.
    expect(onB.messages().filter((m) => m.destination === room)).toHaveLength(N);
    expect(a.cluster.metrics.missed.overflow + a.cluster.metrics.missed.disconnected).toBe(0);
    const metrics = await (await fetch(`${a.broker.httpUrl}/metrics`)).text();
    expect(metrics).toContain(`stompbox_cluster_missed_total{reason="rejected"} ${N - queued}`);
  }, 60_000);
});
