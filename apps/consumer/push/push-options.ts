/** Config → the push consumer's options. */
import type { Config } from '../../shared/config';
import type { PushOptions } from './push';

export function pushFrom(c: Config): PushOptions {
  return {
    collapseMs: c.PUSH_COLLAPSE_MS,
    collapseMaxWindows: c.PUSH_COLLAPSE_MAX_WINDOWS,
    collapseMaxBytes: c.PUSH_COLLAPSE_MAX_BYTES,
    batchTokens: c.PUSH_BATCH_TOKENS,
    concurrency: c.PUSH_CONCURRENCY,
    payloadMaxBytes: c.PUSH_PAYLOAD_MAX_BYTES,
    maxAttempts: c.PUSH_RETRY_ATTEMPTS,
    retry: { baseMs: c.PUSH_RETRY_BASE_MS, maxMs: c.PUSH_RETRY_MAX_MS, quotaMinMs: c.PUSH_QUOTA_RETRY_MIN_MS },
    maxRetryTokens: c.PUSH_RETRY_MAX_TOKENS,
    membersCacheMs: c.PUSH_MEMBERS_CACHE_MS,
    membersCacheRooms: c.PUSH_MEMBERS_CACHE_ROOMS,
    tokenMaxAgeDays: c.PUSH_TOKEN_MAX_AGE_DAYS,
    pruneEveryMs: c.PUSH_PRUNE_EVERY_MS,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
  };
}
