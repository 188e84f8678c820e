/** The relay's outgoing side on its own: one pack per destination per turn, bounds, missed counts. */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { OutboundMessage } from '../../shared/message';
import { decodePack } from '../../shared/queue/pack-codec';
import { ClusterMetrics } from './cluster-metrics';
import { Outbox, type OutboxLimits, type PackSink } from './outbox';

const msg = (destination: string, n: number, bodyBytes = 10): OutboundMessage => ({
  id: `id${n}`, destination, roomId: null, senderId: 'u', nodeId: 'n1', sentAt: 1, contentType: null, headers: {}, body: Buffer.alloc(bodyBytes, 120),
});
const turn = () => new Promise((r) => setImmediate(r));

function setup(limits: Partial<OutboxLimits> = {}) {
  const published: Array<{ destination: string; ids: string[] }> = [];
  const sink = { open: true, full: false } as { open: boolean; full: boolean };
  const s: PackSink = {
    isOpen: () => sink.open,
    publish: (destination, pack) => {
      published.push({ destination, ids: decodePack(pack).map((m) => m.id) });
      return !sink.full;
    },
  };
  const metrics = new ClusterMetrics(new Registry(), 'n1', { bound: () => 0, pendingMessages: () => 0, pendingBytes: () => 0, ready: () => 1 });
  const outbox = new Outbox(s, { maxPending: 1000, maxPendingBytes: 1 << 20, packMaxMessages: 100, packMaxBytes: 1 << 20, ...limits }, metrics);
  return { outbox, published, sink, metrics };
}

describe('Outbox', () => {
  it('sends one pack per destination per turn, messages in the order accepted', async () => {
    const { outbox, published } = setup();
    for (let i = 0; i < 6; i++) outbox.publish(msg(i % 2 ? '/a' : '/b', i));
    expect(published).toEqual([]);
    await turn();
    expect(published).toEqual([
      { destination: '/b', ids: ['id0', 'id2', 'id4'] },
      { destination: '/a', ids: ['id1', 'id3', 'id5'] },
    ]);
    outbox.publish(msg('/a', 6));
    await turn();
    expect(published.at(-1)).toEqual({ destination: '/a', ids: ['id6'] });
  });

  it('splits a destination\'s turn into packs within the message and byte limits', async () => {
    const { outbox, published } = setup({ packMaxMessages: 2 });
    for (let i = 0; i < 5; i++) outbox.publish(msg('/a', i));
    await turn();
    expect(published.map((p) => p.ids)).toEqual([['id0', 'id1'], ['id2', 'id3'], ['id4']]);
  });

  it('refuses past its bounds and while the link is down, counting each message as missed', async () => {
    const { outbox, published, sink, metrics } = setup({ maxPending: 3 });
    for (let i = 0; i < 5; i++) outbox.publish(msg('/a', i));
    expect([outbox.pending, metrics.missed.overflow]).toEqual([3, 2]);
    await turn();
    expect(published.map((p) => p.ids)).toEqual([['id0', 'id1', 'id2']]);
    sink.open = false;
    outbox.publish(msg('/a', 5));
    expect(metrics.missed.disconnected).toBe(1);
  });

  it('holds packs while the socket is full and sends them, in order, once it drains', async () => {
    const { outbox, published, sink, metrics } = setup();
    sink.full = true;
    outbox.publish(msg('/a', 0));
    outbox.publish(msg('/b', 1));
    await turn();
    expect(published.map((p) => p.ids)).toEqual([['id0']]);
    outbox.publish(msg('/b', 2));
    await turn();
    expect(published).toHaveLength(1);
    expect(outbox.pending).toBe(2);
    sink.full = false;
    outbox.resume();
    await turn();
    expect(published.map((p) => p.ids)).toEqual([['id0'], ['id1', 'id2']]);
    // A link lost with messages waiting: they are counted as missed.
    sink.full = true;
    outbox.publish(msg('/c', 3));
    await turn();
    outbox.publish(msg('/d', 4));
    outbox.dropAll();
    expect(metrics.missed.disconnected).toBe(1);
  });
});
