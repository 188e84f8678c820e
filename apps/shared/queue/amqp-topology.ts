/**
 * RabbitMQ topology of the offload (apps/README.md "Processes"), declared by every
 * publisher and consumer at connect (idempotent):
 *
 *   exchange `stompbox.chat` (direct, durable) ──key "pack"──▶ persist queue (quorum)
 *                                               └─key "pack"──▶ push queue (quorum, max length)
 *   exchange `stompbox.dead` (fanout, durable) ──────────────▶ dead-letter queue (quorum, max length)
 *
 * Every AMQP message is one pack (pack-codec.ts) published with the fixed routing key "pack":
 * destinations never become routing keys here, so `*`, `#` and dots in them cannot act as
 * wildcards (and a direct exchange matches keys literally anyway). The persist and push
 * queues dead-letter to `stompbox.dead` (a pack redelivered more than `deliveryLimit` times,
 * i.e. one that keeps crashing consumers, or push entries dropped at the length limit); the
 * consumer also publishes there itself, with an `x-reason` header, what it cannot store.
 * Changing a queue's arguments needs the queue deleted first (RabbitMQ refuses a redeclare
 * with different arguments: PRECONDITION_FAILED).
 */
import type { Channel } from 'amqplib';

export const PACK_ROUTING_KEY = 'pack';

export interface AmqpTopology {
  exchange: string;
  persistQueue: string;
  pushQueue: string;
  deadExchange: string;
  deadQueue: string;
  /** Redeliveries of one pack before RabbitMQ dead-letters it (quorum `x-delivery-limit`). */
  deliveryLimit: number;
  /**
   * Push queue bounds, in packs and bytes (until a push consumer drains it, it would grow
   * forever): the oldest packs are dropped and dead-lettered (x-death reason "maxlen").
   */
  pushMaxLength: number;
  pushMaxBytes: number;
  deadMaxLength: number;
  deadMaxBytes: number;
}

export const defaultTopology: AmqpTopology = {
  exchange: 'stompbox.chat',
  persistQueue: 'stompbox.persist',
  pushQueue: 'stompbox.push',
  deadExchange: 'stompbox.dead',
  deadQueue: 'stompbox.dead',
  deliveryLimit: 20,
  pushMaxLength: 100_000,
  pushMaxBytes: 64 * 1024 * 1024,
  deadMaxLength: 1_000_000,
  deadMaxBytes: 256 * 1024 * 1024,
};

export async function declareTopology(ch: Channel, t: AmqpTopology): Promise<void> {
  await ch.assertExchange(t.deadExchange, 'fanout', { durable: true });
  await ch.assertQueue(t.deadQueue, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-max-length': t.deadMaxLength, 'x-max-length-bytes': t.deadMaxBytes },
  });
  await ch.bindQueue(t.deadQueue, t.deadExchange, '');
  await ch.assertExchange(t.exchange, 'direct', { durable: true });
  await ch.assertQueue(t.persistQueue, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': t.deadExchange, 'x-delivery-limit': t.deliveryLimit },
  });
  await ch.bindQueue(t.persistQueue, t.exchange, PACK_ROUTING_KEY);
  await ch.assertQueue(t.pushQueue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': t.deadExchange,
      'x-delivery-limit': t.deliveryLimit,
      'x-max-length': t.pushMaxLength,
      'x-max-length-bytes': t.pushMaxBytes,
    },
  });
  await ch.bindQueue(t.pushQueue, t.exchange, PACK_ROUTING_KEY);
}
