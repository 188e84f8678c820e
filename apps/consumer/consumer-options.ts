/** Config → the consumer's options. */
import type { Config } from '../shared/config';
import type { ConsumerOptions } from './consumer';

export function consumerFrom(c: Config): ConsumerOptions {
  return {
    maxStreamEntries: c.STREAM_MAX_ENTRIES,
    bridgeBatchPacks: c.CONSUMER_PREFETCH,
    writerBatchPacks: c.WRITER_BATCH_PACKS,
    writerConcurrency: c.WRITER_CONCURRENCY,
    writerBlockMs: 250,
    claimIdleMs: c.WRITER_CLAIM_IDLE_MS,
    claimEveryMs: Math.max(500, Math.min(5_000, Math.floor(c.WRITER_CLAIM_IDLE_MS / 2))),
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
    createOnFirstUse: c.CREATE_ON_FIRST_USE,
  };
}
