/**
 * The stream buffer and the recent-N cache: one contract, run against the Redis
 * implementation (a real redis-server from the harness) and the in-process twin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type ServiceHandle } from '../../shared/testing/services/index';
import { encodePack } from '../../shared/queue/pack-codec';
import { messageFactory } from '../../shared/testing/messages';
import { MemoryPackStream } from './memory-pack-stream';
import { RedisPackStream } from './redis-pack-stream';
import { MemoryRecentCache } from '../../shared/history/memory-recent-cache';
import { RedisRecentCache } from '../../shared/history/redis-recent-cache';
import type { PackStream } from './pack-stream';
import type { RecentCache } from '../../shared/history/recent-cache';
import { sleep } from '../../shared/sleep';

let redis: ServiceHandle;
beforeAll(async () => {
  redis = await startRedis({ persistence: false });
});
afterAll(async () => {
  await redis?.stop();
});

let n = 0;
const streams: Record<string, () => PackStream> = {
  memory: () => new MemoryPackStream(),
  redis: () => new RedisPackStream({ url: redis.url, key: `s${++n}`, group: 'g' }),
};
const caches: Record<string, (size: number) => RecentCache> = {
  memory: (size) => new MemoryRecentCache(size, 1_000),
  redis: (size) => new RedisRecentCache({ url: redis.url, keyPrefix: `c${++n}:`, size, ttlSeconds: 60 }),
};

for (const [kind, make] of Object.entries(streams)) {
  describe(`PackStream (${kind})`, () => {
    it('appends, reads each entry once per group, acks, and reports the backlog', async () => {
      const s = make();
      await s.init();
      await s.init(); // idempotent
      const bodies = Array.from({ length: 5 }, (_, i) => Buffer.from([0, 1, 2, i, 255]));
      expect(await s.append(bodies)).toBe(5);
      const a = s.openReader('a');
      const b = s.openReader('b');
      const first = await a.read(3, 100);
      const second = await b.read(10, 100);
      expect(first.map((e) => e.body)).toEqual(bodies.slice(0, 3));
      expect(second.map((e) => e.body)).toEqual(bodies.slice(3));
      expect(await a.read(10, 50)).toEqual([]); // nothing new; waited and returned
      await s.ack(first.map((e) => e.id));
      expect(await s.length()).toBe(2);
      await s.ack(second.map((e) => e.id));
      expect(await s.length()).toBe(0);
      await a.close();
      await b.close();
      await s.close();
    });

    it('lets another writer claim entries left pending past the idle time', async () => {
      const s = make();
      await s.init();
      await s.append([Buffer.from('x'), Buffer.from('y')]);
      const dead = s.openReader('dead');
      const taken = await dead.read(10, 100);
      expect(taken.length).toBe(2);
      expect(await s.claim('alive', 60_000, 10)).toEqual([]); // not idle long enough
      await sleep(60);
      const claimed = await s.claim('alive', 50, 10);
      expect(claimed.map((e) => e.body.toString())).toEqual(['x', 'y']);
      await s.ack(claimed.map((e) => e.id));
      expect(await s.length()).toBe(0);
      await dead.close();
      await s.close();
    });

    it('wakes a blocked reader when an entry arrives', async () => {
      const s = make();
      await s.init();
      const r = s.openReader('w');
      const t0 = Date.now();
      const pending = r.read(10, 3_000);
      await sleep(50);
      await s.append([encodePack([messageFactory()()])]);
      expect((await pending).length).toBe(1);
      expect(Date.now() - t0).toBeLessThan(2_000);
      await r.close();
      await s.close();
    });
  });
}

for (const [kind, make] of Object.entries(caches)) {
  describe(`RecentCache (${kind})`, () => {
    it('keeps the newest N per room, oldest first, ignores non-room messages, dedupes repeats', async () => {
      const c = make(4);
      const m = messageFactory('rc', 2);
      const msgs = Array.from({ length: 10 }, () => m());
      await c.add([encodePack(msgs.slice(0, 4)), encodePack(msgs.slice(4, 6))]);
      await c.add([encodePack([...msgs.slice(6), m({ roomId: null })]), encodePack([msgs[8]])]);
      const r0 = msgs.filter((x) => x.roomId === 'r0');
      expect((await c.recent('r0', 10)).map((x) => x.id)).toEqual(r0.slice(-4).map((x) => x.id));
      expect((await c.recent('r0', 2)).map((x) => x.id)).toEqual(r0.slice(-2).map((x) => x.id));
      const r1 = await c.recent('r1', 10);
      expect(new Set(r1.map((x) => x.id)).size).toBe(r1.length);
      expect(r1.at(-1)!.body.equals(msgs[9].body)).toBe(true);
      expect(await c.recent('nobody', 5)).toEqual([]);
      await c.close();
    });
  });
}

describe('RecentCache (redis), one script call per batch', () => {
  it('covers batches spread over more rooms than one call carries, and rooms larger than one ZADD of the script', async () => {
    const prefix = `big${++n}:`;
    const many = new RedisRecentCache({ url: redis.url, keyPrefix: prefix, size: 3, ttlSeconds: 60 });
    const m = messageFactory('rcbig', 3_000);
    const msgs = Array.from({ length: 9_000 }, () => m()); // 3 per room, 12,000 script arguments
    await many.add([encodePack(msgs.slice(0, 4_500)), encodePack(msgs.slice(4_500))]);
    await many.add([encodePack(msgs.slice(0, 10))]); // redelivered: nothing new
    for (const room of ['r0', 'r1499', 'r2999']) {
      expect((await many.recent(room, 10)).map((x) => x.id)).toEqual(msgs.filter((x) => x.roomId === room).map((x) => x.id));
    }
    const { Redis } = await import('ioredis');
    const probe = new Redis(redis.url);
    try {
      expect(await probe.zcard(`${prefix}r7`)).toBe(3);
      expect(await probe.ttl(`${prefix}r7`)).toBeGreaterThan(0);
      const wide = new RedisRecentCache({ url: redis.url, keyPrefix: `wide${++n}:`, size: 1_500, ttlSeconds: 0 });
      const one = messageFactory('rcwide', 1);
      const lots = Array.from({ length: 2_500 }, () => one());
      await wide.add([encodePack(lots.slice(0, 1_200))]);
      await wide.add([encodePack(lots.slice(1_200))]);
      expect(await probe.zcard(`wide${n}:r0`)).toBe(1_500);
      expect(await probe.ttl(`wide${n}:r0`)).toBe(-1);
      expect((await wide.recent('r0', 1_500)).map((x) => x.id)).toEqual(lots.slice(-1_500).map((x) => x.id));
      await wide.close();
    } finally {
      probe.disconnect();
      await many.close();
    }
  });
});
