/** The recent-N cache chosen by configuration: Redis lists with REDIS_URL, else the in-process twin. */
import type { Config } from '../config';
import { MemoryRecentCache } from './memory-recent-cache';
import type { RecentCache } from './recent-cache';
import { RedisRecentCache } from './redis-recent-cache';

/** Null when RECENT_CACHE_SIZE is 0. */
export function openRecentCache(c: Config): RecentCache | null {
  if (c.RECENT_CACHE_SIZE === 0) return null;
  return c.REDIS_URL
    ? new RedisRecentCache({ url: c.REDIS_URL, keyPrefix: c.RECENT_CACHE_PREFIX, size: c.RECENT_CACHE_SIZE, ttlSeconds: c.RECENT_CACHE_TTL_S })
    : new MemoryRecentCache(c.RECENT_CACHE_SIZE, 100_000, c.RECENT_CACHE_MAX_BYTES);
}
