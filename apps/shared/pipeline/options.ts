/** Config (apps/shared/config.ts, "pipeline" section) → options of the pipeline's parts. */
import type { Config } from '../config';
import type { AmqpTopology } from '../offload/amqp-topology';
import type { PackingOptions } from '../offload/packing-offload';
import type { ConsumerOptions } from '../../consumer/consumer';

export function topologyFrom(c: Config): AmqpTopology {
  return {
    exchange: c.AMQP_EXCHANGE,
    persistQueue: c.AMQP_PERSIST_QUEUE,
    pushQueue: c.AMQP_PUSH_QUEUE,
    deadExchange: c.AMQP_DEAD_EXCHANGE,
    deadQueue: c.AMQP_DEAD_QUEUE,
    deliveryLimit: c.AMQP_DELIVERY_LIMIT,
    pushMaxLength: c.AMQP_PUSH_MAX_LENGTH,
    pushMaxBytes: c.AMQP_PUSH_MAX_BYTES,
    deadMaxLength: c.AMQP_DEAD_MAX_LENGTH,
    deadMaxBytes: c.AMQP_DEAD_MAX_BYTES,
  };
}

export function packingFrom(c: Config): PackingOptions {
  return {
    maxPending: c.OFFLOAD_MAX_PENDING,
    maxPendingBytes: c.OFFLOAD_MAX_PENDING_BYTES,
    packMaxMessages: c.OFFLOAD_PACK_MAX_MESSAGES,
    packMaxBytes: c.OFFLOAD_PACK_MAX_BYTES,
    lingerMs: c.OFFLOAD_LINGER_MS,
    timeoutMs: c.OFFLOAD_TIMEOUT_MS,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
  };
}

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
