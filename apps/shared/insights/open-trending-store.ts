/** The TrendingStore chosen by configuration: Redis with REDIS_URL, else the in-process twin. */
import type { Config } from '../config';
import { MemoryTrendingStore } from './memory-trending-store';
import { RedisTrendingStore } from './redis-trending-store';
import type { TrendingStore, TrendingStoreOptions } from './trending-store';

/** Null when INSIGHTS_ENABLED is false. */
export function openTrendingStore(c: Config, now?: () => number): TrendingStore | null {
  if (!c.INSIGHTS_ENABLED) return null;
  const common: TrendingStoreOptions = {
    maxWordsPerRoomBucket: c.INSIGHTS_MAX_WORDS_PER_BUCKET,
    maxWordsOverallBucket: c.INSIGHTS_MAX_WORDS_OVERALL_BUCKET,
    queryCacheMs: c.INSIGHTS_QUERY_CACHE_MS,
    now,
  };
  return c.REDIS_URL
    ? new RedisTrendingStore({ ...common, url: c.REDIS_URL, keyPrefix: c.INSIGHTS_KEY_PREFIX })
    : new MemoryTrendingStore({ ...common, maxEntries: c.INSIGHTS_MEMORY_MAX_WORDS });
}
