/** One way to open an ioredis connection, for every Redis-backed seam. */
import { Redis, type RedisOptions } from 'ioredis';
import { backoffMs } from './backoff';

/** Commands fail fast while Redis is away; callers retry with backoff (never block forever). */
export function redisClient(url: string, name: string, extra: Partial<RedisOptions> = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => backoffMs(times, { baseMs: 50, maxMs: 2_000 }),
    ...extra,
  });
}
