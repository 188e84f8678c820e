import { describe, expect, it } from 'vitest';
import type { RecentCache } from './recent-cache';
import type { OutboundMessage } from '../message';
import { CachedHistory } from './cached-history';
import { FakeStore } from '../testing/fake-store';
import { messageFactory } from '../testing/messages';

/** A cache holding a fixed list (oldest first), or failing. */
function cacheOf(msgs: OutboundMessage[] | 'down', size = 5): RecentCache {
  return {
    kind: 'test',
    size,
    add: async () => {},
    recent: async (_room, limit) => {
      if (msgs === 'down') throw new Error('redis down');
      return msgs.slice(-limit);
    },
    close: async () => {},
  };
}

describe('CachedHistory', () => {
  const make = messageFactory('h', 1);
  const all = Array.from({ length: 12 }, () => make());
  const ids = (xs: OutboundMessage[]) => xs.map((m) => m.id);

  async function storeWith(msgs: OutboundMessage[]) {
    const s = new FakeStore();
    await s.insertBatch(msgs);
    s.insertCalls = 0;
    return s;
  }

  it('answers from the cache alone when it covers the question', async () => {
    const store = await storeWith(all);
    store.unavailable = true; // would throw if asked
    store.lastMessages = async () => { throw new Error('store must not be asked'); };
    store.messagesAfter = async () => { throw new Error('store must not be asked'); };
    const h = new CachedHistory(cacheOf(all.slice(-5)), store, 100);
    expect(ids(await h.query({ kind: 'last', roomId: 'r0', limit: 3 }))).toEqual(ids(all.slice(-3)));
    expect(ids(await h.query({ kind: 'after', roomId: 'r0', afterId: all[8].id, limit: 10 }))).toEqual(ids(all.slice(9)));
    expect(ids(await h.query({ kind: 'after', roomId: 'r0', afterId: all[11].id, limit: 10 }))).toEqual([]);
  });

  it('merges the database with the cache when the cache does not cover it (database lagging behind)', async () => {
    const store = await storeWith(all.slice(0, 9)); // the newest 3 are only in the cache so far
    const h = new CachedHistory(cacheOf(all.slice(-5)), store, 100);
    expect(ids(await h.query({ kind: 'last', roomId: 'r0', limit: 8 }))).toEqual(ids(all.slice(-8)));
    expect(ids(await h.query({ kind: 'after', roomId: 'r0', afterId: all[2].id, limit: 4 }))).toEqual(ids(all.slice(3, 7)));
    expect(ids(await h.query({ kind: 'after', roomId: 'r0', afterId: all[2].id, limit: 50 }))).toEqual(ids(all.slice(3)));
  });

  it('falls back to the database when the cache fails, clamps limits, and works without a cache', async () => {
    const store = await storeWith(all);
    const down = new CachedHistory(cacheOf('down'), store, 4);
    expect(ids(await down.query({ kind: 'last', roomId: 'r0', limit: 100 }))).toEqual(ids(all.slice(-4)));
    expect(await down.query({ kind: 'last', roomId: 'r0', limit: 0 })).toEqual([]);
    const none = new CachedHistory(null, store, 100);
    expect(ids(await none.query({ kind: 'after', roomId: 'r0', afterId: all[9].id, limit: 5 }))).toEqual(ids(all.slice(10)));
    store.unavailable = true;
    store.lastMessages = async () => { throw new Error('db down'); };
    await expect(new CachedHistory(cacheOf(all.slice(-2)), store, 100).query({ kind: 'last', roomId: 'r0', limit: 5 })).rejects.toThrow(/db down/);
  });
});
