/** One way to open an ioredis connection, for every Redis-backed seam. */
import { Redis, type RedisOptions } from 'ioredis';

/** Commands fail fast while Redis is away; callers retry with backoff (never block forever). */
export function redisClient(url: string, name: string, extra: Partial<RedisOptions> = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(2_000, 50 * 2 ** Math.min(times, 6)),
    ...extra,
  });
}
