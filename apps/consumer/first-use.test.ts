/**
 * First-use creation (development mode) off the insert path: the queue and its bounds on their
 * own, then the whole consumer on its in-process twins while one sender floods distinct rooms.
 * The store is the FakeStore, whose membership calls cost what we tell them to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../shared/config';
import type { OutboundMessage } from '../shared/message';
import { MemoryDeadLetters, MemoryPackQueue } from '../shared/queue/memory-queue';
import { PackingOffload } from '../shared/queue/packing-offload';
import { packingFrom } from '../shared/queue/queue-options';
import { FakeStore } from '../shared/testing/fake-store';
import { messageFactory, waitFor } from '../shared/testing/messages';
import { consumerFrom } from './consumer-options';
import { consumerMetrics } from './consumer-metrics';
import { startConsumer } from './consumer';
import { FirstUseDirectory, type FirstUseOptions } from './first-use';
import { MemoryPackStream } from './stream/memory-pack-stream';

const logger = pino({ level: 'silent' });
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

const make = messageFactory('fu', 1);
/** One message of `sender` to room `room`. */
const msg = (room: string, sender: string): OutboundMessage => make({ roomId: room, destination: `/topic/room.${room}`, senderId: sender });

function directory(store: FakeStore, over: Partial<FirstUseOptions> = {}, now: () => number = Date.now) {
  const registry = new Registry();
  const opts: FirstUseOptions = { roomsPerSenderPerMinute: 1_000_000, maxQueued: 100_000, maxQueuedBytes: 64 * 1024 * 1024, batchPairs: 500, ...over };
  const d = new FirstUseDirectory(store, opts, logger, consumerMetrics(registry), now);
  closers.push(() => d.close(Date.now()));
  return { d, registry, pairs: (outcome: string) => metric(registry, 'stompbox_first_use_pairs_total', { outcome }) };
}

describe('first-use directory', () => {
  it('returns at once and creates the pairs in batches, one store call per batch', async () => {
    const store = new FakeStore();
    store.memberLatency = { perCallMs: 20, perPairMs: 0 };
    const { d, pairs } = directory(store, { batchPairs: 500 });
    const msgs = Array.from({ length: 1_200 }, (_, i) => msg(`room${i}`, `user${i % 3}`));
    const t0 = performance.now();
    d.note(msgs);
    expect(performance.now() - t0).toBeLessThan(50); // queued, not created
    expect(d.backlog()).toBe(1_200);
    await waitFor(() => d.backlog() === 0, 5_000, 'the backlog created');
    expect(store.memberCalls).toBe(3);
    expect(store.members.size).toBe(1_200);
    expect(store.rooms.size).toBe(1_200);
    expect(store.users).toEqual(new Set(['user0', 'user1', 'user2']));
    expect(await pairs('added')).toBe(1_200);
  });

  it('coalesces a pair noted again while queued, in flight or already created', async () => {
    const store = new FakeStore();
    store.memberLatency = { perCallMs: 30, perPairMs: 0 };
    const { d, pairs } = directory(store, { batchPairs: 2 });
    const msgs = [msg('a', 'u'), msg('a', 'u'), msg('b', 'u'), msg('c', 'u'), msg('a', 'v')];
    d.note(msgs); // a/u and b/u in flight, c/u and a/v queued
    d.note(msgs);
    await waitFor(() => d.backlog() === 0, 5_000, 'created');
    d.note(msgs);
    expect(d.backlog()).toBe(0);
    expect(store.memberPairsOffered).toBe(4);
    expect(await pairs('added')).toBe(4);
  });

  it('lets one sender create at most the configured rooms per minute; others are unaffected', async () => {
    const store = new FakeStore();
    let now = 1_700_000_000_000;
    const { d, pairs } = directory(store, { roomsPerSenderPerMinute: 5 }, () => now);
    d.note(Array.from({ length: 20 }, (_, i) => msg(`flood${i}`, 'mallory')));
    d.note([msg('lobby', 'bob')]);
    await waitFor(() => d.backlog() === 0, 5_000, 'created');
    expect(store.members.size).toBe(6);
    expect(await store.isMember('lobby', 'bob')).toBe(true);
    expect(await pairs('rate_limited')).toBe(15);
    // The allowance refills at the same rate (one every 12 s here), at most back to 5. Skipped
    // pairs are not remembered: their next messages create them.
    now += 12_000;
    d.note(Array.from({ length: 20 }, (_, i) => msg(`flood${i}`, 'mallory')));
    await waitFor(() => d.backlog() === 0, 5_000, 'created');
    expect(store.members.size).toBe(7);
    now += 10 * 60_000;
    d.note(Array.from({ length: 20 }, (_, i) => msg(`flood${i}`, 'mallory')));
    await waitFor(() => d.backlog() === 0, 5_000, 'created');
    expect(store.members.size).toBe(12);
    expect(await pairs('rate_limited')).toBe(15 + 14 + 9);
  });

  it('bounds the queue in pairs and in bytes, counting what it drops', async () => {
    const store = new FakeStore();
    store.memberLatency = { perCallMs: 200, perPairMs: 0 };
    const byCount = directory(store, { maxQueued: 10, batchPairs: 1 });
    byCount.d.note(Array.from({ length: 25 }, (_, i) => msg(`c${i}`, `u${i}`)));
    expect(byCount.d.backlog()).toBe(10); // one in flight, nine queued
    expect(await byCount.pairs('dropped')).toBe(15);

    const long = 'x'.repeat(200);
    const byBytes = directory(store, { maxQueuedBytes: 1_024, batchPairs: 1 });
    byBytes.d.note(Array.from({ length: 10 }, (_, i) => msg(`${long}${i}`, `u${i}`)));
    expect(byBytes.d.backlog()).toBe(5); // 5 × ~202 bytes fit in 1 KiB
    expect(await byBytes.pairs('dropped')).toBe(5);
  });

  it('counts a database failure and creates the pair with its next message', async () => {
    const store = new FakeStore();
    store.unavailable = true;
    const { d, pairs } = directory(store);
    d.note([msg('down', 'u1')]);
    await waitFor(async () => (await pairs('failed')) === 1, 5_000, 'the failure counted');
    await waitFor(() => d.backlog() === 0, 5_000, 'the loop done');
    store.unavailable = false;
    d.note([msg('down', 'u1')]);
    await waitFor(() => store.members.size === 1, 5_000, 'created after all');
  });

  it('skips ids the store would refuse, without a database call', async () => {
    const store = new FakeStore();
    const { d, pairs } = directory(store);
    d.note([msg('r\u0000', 'u'), msg('ok', 'x'.repeat(300))]);
    expect(d.backlog()).toBe(0);
    expect(await pairs('invalid')).toBe(2);
    expect(store.memberCalls).toBe(0);
  });

  it('at close creates what it can until the deadline and drops the rest, counted', async () => {
    const store = new FakeStore();
    store.memberLatency = { perCallMs: 100, perPairMs: 0 };
    const { d, pairs } = directory(store, { batchPairs: 1 });
    d.note(Array.from({ length: 10 }, (_, i) => msg(`z${i}`, 'u')));
    await d.close(Date.now() + 150);
    expect(store.members.size).toBeLessThan(10);
    expect(await pairs('dropped')).toBe(10 - store.members.size);
    d.note([msg('late', 'u')]);
    expect(d.backlog()).toBe(0);
  });
});

describe('consumer: one sender floods distinct rooms', () => {
  async function consumerOnTwins(store: FakeStore, env: Record<string, string>) {
    const config = loadConfig({ DRAIN_TIMEOUT_MS: '3000', WRITER_BATCH_PACKS: '2', OFFLOAD_PACK_MAX_MESSAGES: '200', ...env });
    const registry = new Registry();
    const queue = new MemoryPackQueue(1_000_000, config.CONSUMER_PREFETCH, registry);
    const offload = new PackingOffload(queue.transport, { ...packingFrom(config), maxPending: 1_000_000 }, logger, registry);
    const consumer = await startConsumer(
      { source: queue.source, stream: new MemoryPackStream(), cache: null, deadLetters: new MemoryDeadLetters(100, registry), store },
      consumerFrom(config),
      logger,
      registry,
    );
    await offload.start();
    closers.push(async () => {
      await offload.close();
      await consumer.close();
    });
    return { offload, registry };
  }

  it("stores another user's message promptly while the flood's rooms are still being created", async () => {
    const store = new FakeStore();
    // A database round trip per call plus work per row: 3,000 pairs take ~3 s in batches.
    store.memberLatency = { perCallMs: 2, perPairMs: 1 };
    const { offload } = await consumerOnTwins(store, { FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE: '1000000' });
    const flood = Array.from({ length: 3_000 }, (_, i) => msg(`flood${i}`, 'mallory'));
    await Promise.all(flood.map((m) => offload.publish(m)));
    const bob = msg('lobby', 'bob');
    const sentAt = Date.now();
    await offload.publish(bob);
    await waitFor(() => store.rows.has(bob.id), 10_000, "bob's message stored", 5);
    const latency = Date.now() - sentAt;
    const membersThen = store.members.size;
    expect(latency).toBeLessThan(1_000);
    // Insertion is not behind creation: the flood's rooms were not all created yet.
    expect(membersThen).toBeLessThan(flood.length);
    await waitFor(() => store.members.size === flood.length + 1, 20_000, 'every room created in the end');
    expect(store.memberCalls).toBeLessThan(20); // in batches, not one call per room
  }, 30_000);

  it('creates at most FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE rooms for one sender, and stores every message', async () => {
    const store = new FakeStore();
    const { offload, registry } = await consumerOnTwins(store, { FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE: '60' });
    const flood = Array.from({ length: 3_000 }, (_, i) => msg(`flood${i}`, 'mallory'));
    const bob = msg('lobby', 'bob');
    await Promise.all([...flood, bob].map((m) => offload.publish(m)));
    await waitFor(() => store.rows.size === flood.length + 1, 10_000, 'every message stored');
    await waitFor(async () => (await metric(registry, 'stompbox_first_use_queue_pairs')) === 0 && store.memberCalls > 0, 5_000, 'the queue empty');
    await waitFor(() => store.isMember('lobby', 'bob'), 5_000, 'bob a member');
    // 60 at once, then one a second: the flood is over within a second or two.
    const mallorys = store.members.size - 1;
    expect(mallorys).toBeGreaterThanOrEqual(60);
    expect(mallorys).toBeLessThanOrEqual(62);
    expect(await metric(registry, 'stompbox_first_use_pairs_total', { outcome: 'rate_limited' })).toBe(flood.length - mallorys);
  }, 30_000);
});
