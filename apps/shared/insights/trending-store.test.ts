/** The TrendingStore contract on a real redis-server and on the in-process twin, plus what only one of them has. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type ServiceHandle } from '../testing/services/index';
import { MemoryTrendingStore } from './memory-trending-store';
import { RedisTrendingStore } from './redis-trending-store';
import { describeTrendingStoreContract, TestClock, T0 } from './trending-store.contract';
import { BUCKET_MS, MAX_WINDOW_MINUTES } from './trending-store';

let redis: ServiceHandle;
beforeAll(async () => {
  redis = await startRedis({ persistence: false });
});
afterAll(async () => {
  await redis?.stop();
});

let n = 0;
describeTrendingStoreContract('redis', (o) => new RedisTrendingStore({ ...o, url: redis.url, keyPrefix: `t${++n}:` }));
describeTrendingStoreContract('memory', (o) => new MemoryTrendingStore({ ...o, maxEntries: 1_000_000 }));

describe('RedisTrendingStore', () => {
  it('gives each bucket an expiry that ends after the last window reading it', async () => {
    const clock = new TestClock().at(10, 30);
    const s = new RedisTrendingStore({ url: redis.url, keyPrefix: 'ttl:', maxWordsPerRoomBucket: 10, maxWordsOverallBucket: 10, queryCacheMs: 0, now: clock.now });
    const r = new Redis(redis.url);
    try {
      await s.record([{ roomId: 'a', sentAt: clock.t, words: ['x'] }]);
      const minute = T0 / BUCKET_MS + 10;
      const keys = (await r.keys('ttl:*')).sort();
      expect(keys).toEqual([`ttl:${minute}:*`, `ttl:${minute}:r:a`]);
      // readable through minute + 59, plus a minute of slack: 60.5 minutes from 10:30
      const ttl = await r.ttl(keys[1]);
      expect(ttl).toBeGreaterThan((MAX_WINDOW_MINUTES + 0.5) * 60 - 5);
      expect(ttl).toBeLessThanOrEqual((MAX_WINDOW_MINUTES + 0.5) * 60);
    } finally {
      r.disconnect();
      await s.close();
    }
  });

  it('reuses a summed window for queryCacheMs and leaves no union key behind without it', async () => {
    const clock = new TestClock().at(5);
    const r = new Redis(redis.url);
    const cached = new RedisTrendingStore({ url: redis.url, keyPrefix: 'uc:', maxWordsPerRoomBucket: 10, maxWordsOverallBucket: 10, queryCacheMs: 60_000, now: clock.now });
    const uncached = new RedisTrendingStore({ url: redis.url, keyPrefix: 'uc:', maxWordsPerRoomBucket: 10, maxWordsOverallBucket: 10, queryCacheMs: 0, now: clock.now });
    try {
      await cached.record([{ roomId: 'a', sentAt: clock.t, words: ['one'] }]);
      expect((await uncached.top({ roomId: 'a', windowMinutes: 5, limit: 5 })).words).toEqual([{ word: 'one', count: 1 }]);
      expect(await r.keys('uc:u:*')).toEqual([]);
      await cached.top({ roomId: 'a', windowMinutes: 5, limit: 5 });
      await cached.record([{ roomId: 'a', sentAt: clock.t, words: ['two'] }]);
      // the cached union predates 'two'
      expect((await cached.top({ roomId: 'a', windowMinutes: 5, limit: 5 })).words).toEqual([{ word: 'one', count: 1 }]);
      expect((await uncached.top({ roomId: 'a', windowMinutes: 5, limit: 5 })).words.map((w) => w.word)).toEqual(['one', 'two']);
    } finally {
      r.disconnect();
      await cached.close();
      await uncached.close();
    }
  });
});

describe('MemoryTrendingStore', () => {
  it('keeps at most the last MAX_WINDOW_MINUTES minutes and gives their entries back', async () => {
    const clock = new TestClock();
    const s = new MemoryTrendingStore({ maxWordsPerRoomBucket: 10, maxWordsOverallBucket: 10, queryCacheMs: 0, maxEntries: 10_000, now: clock.now });
    for (let m = 0; m < 90; m++) {
      clock.at(m);
      await s.record([{ roomId: 'a', sentAt: clock.t, words: ['x', 'y'] }]);
    }
    expect(s.bucketCount).toBe(MAX_WINDOW_MINUTES);
    expect(s.size).toBe(MAX_WINDOW_MINUTES * 4); // 2 words × (room + overall) per minute
  });

  it('refuses new words past maxEntries while words it holds keep counting', async () => {
    const clock = new TestClock();
    const s = new MemoryTrendingStore({ maxWordsPerRoomBucket: 100, maxWordsOverallBucket: 100, queryCacheMs: 0, maxEntries: 4, now: clock.now });
    expect((await s.record([{ roomId: 'a', sentAt: clock.t, words: ['x', 'y'] }])).refused).toBe(0);
    const r = await s.record([{ roomId: 'a', sentAt: clock.t, words: ['x', 'z'] }]);
    expect(r.refused).toBe(2); // z in the room and across rooms
    expect((await s.top({ roomId: 'a', windowMinutes: 1, limit: 10 })).words).toEqual([{ word: 'x', count: 2 }, { word: 'y', count: 1 }]);
  });
});
