/** Presence chosen by configuration: Redis with REDIS_URL, else the in-process twin. */
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { MemoryPresence } from './memory-presence';
import type { Presence } from './presence';
import { RedisPresence } from './redis-presence';

export function openPresence(c: Config, registry?: Registry, logger?: Logger): Presence {
  const common = { refreshMs: c.PRESENCE_REFRESH_MS, expiryMs: c.PRESENCE_EXPIRY_MS, maxUsers: c.PRESENCE_MAX_USERS_PER_PROCESS, registry, logger };
  return c.REDIS_URL
    ? new RedisPresence({
        ...common,
        url: c.REDIS_URL,
        keyPrefix: c.PRESENCE_KEY_PREFIX,
        flushMs: c.PRESENCE_FLUSH_MS,
        queryBatch: c.PRESENCE_QUERY_BATCH,
        timeoutMs: c.PRESENCE_TIMEOUT_MS,
      })
    : new MemoryPresence(common);
}
