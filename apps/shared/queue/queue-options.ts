/** Config → options of the queue hop's parts (publisher, packing, topology). */
import type { Config } from '../config';
import type { AmqpTopology } from './amqp-topology';
import type { PackingOptions } from './packing-offload';

export function topologyFrom(c: Config): AmqpTopology {
  return {
    exchange: c.AMQP_EXCHANGE,
    persistQueue: c.AMQP_PERSIST_QUEUE,
    pushQueue: c.AMQP_PUSH_QUEUE,
    deadExchange: c.AMQP_DEAD_EXCHANGE,
    deadQueue: c.AMQP_DEAD_QUEUE,
    deliveryLimit: c.AMQP_DELIVERY_LIMIT,
    pushEnabled: c.AMQP_PUSH_ENABLED,
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
