/** One way to open an ioredis connection, for every Redis-backed seam. */
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { backoffMs } from './backoff';
import { projectPath } from './project-root';

// Required on first use (ioredis is CommonJS): a process without REDIS_URL never loads it,
// which keeps about 1 MiB of heap out of every broker process that has no Redis.
let RedisClass: typeof Redis | null = null;

/** Commands fail fast while Redis is away; callers retry with backoff (never block forever). */
export function redisClient(url: string, name: string, extra: Partial<RedisOptions> = {}): Redis {
  RedisClass ??= (createRequire(projectPath('package.json'))('ioredis') as typeof import('ioredis')).Redis;
  return new RedisClass(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => backoffMs(times, { baseMs: 50, maxMs: 2_000 }),
    ...extra,
  });
}
