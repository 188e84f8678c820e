/** Config → the consumer's options. */
import type { Config } from '../shared/config';
import type { ConsumerOptions } from './consumer';

export function consumerFrom(c: Config): ConsumerOptions {
  return {
    maxStreamEntries: c.STREAM_MAX_ENTRIES,
    maxStreamBytes: c.STREAM_MAX_BYTES,
    bridgeBatchPacks: c.CONSUMER_PREFETCH,
    writerBatchPacks: c.WRITER_BATCH_PACKS,
    writerConcurrency: c.WRITER_CONCURRENCY,
    writerBlockMs: 250,
    claimIdleMs: c.WRITER_CLAIM_IDLE_MS,
    claimEveryMs: Math.max(500, Math.min(5_000, Math.floor(c.WRITER_CLAIM_IDLE_MS / 2))),
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
    firstUse: c.CREATE_ON_FIRST_USE
      ? {
          roomsPerSenderPerMinute: c.FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE,
          maxQueued: c.FIRST_USE_QUEUE_MAX,
          maxQueuedBytes: c.FIRST_USE_QUEUE_MAX_BYTES,
          batchPairs: c.FIRST_USE_BATCH,
        }
      : undefined,
  };
}
