/**
 * RabbitMQ topology of the offload (apps/README.md "Processes"), declared by every
 * publisher and consumer at connect (idempotent):
 *
 *   exchange `stompbox.chat` (direct, durable) ──key "pack"──▶ persist queue (quorum)
 *                                               └─key "pack"──▶ push queue (quorum, max length; only with pushEnabled)
 *   exchange `stompbox.dead` (fanout, durable) ──────────────▶ dead-letter queue (quorum, max length, reject-publish)
 *
 * Every AMQP message is one pack (pack-codec.ts) published with the fixed routing key "pack":
 * destinations never become routing keys here, so `*`, `#` and dots in them cannot act as
 * wildcards (and a direct exchange matches keys literally anyway).
 *
 * Push queue: the push consumer (apps/consumer/push) drains it. A bound queue nobody drains
 * fills to its length limit and then dead-letters every further pack, drowning real dead
 * letters, so with `pushEnabled` off (no push consumer runs) it is neither declared nor bound,
 * and a binding left by an earlier run is removed (queue.unbind of a missing binding or queue
 * succeeds: checked on 3.10).
 *
 * Dead letters: the persist queue dead-letters a pack redelivered more than `deliveryLimit`
 * times (one that keeps crashing consumers); the consumer publishes there itself, with an
 * `x-reason` header, what it cannot store. At its bound the dead-letter queue refuses new
 * letters (`x-overflow: reject-publish`: the publisher confirm is a nack) instead of dropping
 * its oldest; a quorum queue takes one message past `x-max-length` before it starts refusing.
 * RabbitMQ's own dead-lettering (delivery limit) is at-most-once, so a pack dead-lettered by
 * RabbitMQ while the queue is full is lost; the consumer's own letters are held and retried.
 *
 * Changing a queue's arguments needs the queue deleted first (RabbitMQ refuses a redeclare
 * with different arguments: PRECONDITION_FAILED); declareTopology says which queue and how.
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
  /** Route packs to the push queue (on wherever the push consumer runs to drain it). */
  pushEnabled: boolean;
  /**
   * Push queue bounds, in packs and bytes (should the push consumer fall behind): the oldest
   * packs are dropped and dead-lettered (x-death reason "maxlen").
   */
  pushMaxLength: number;
  pushMaxBytes: number;
  /** Dead-letter queue bounds: past them new dead letters are refused (reject-publish). */
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
  pushEnabled: true,
  pushMaxLength: 100_000,
  pushMaxBytes: 64 * 1024 * 1024,
  deadMaxLength: 1_000_000,
  deadMaxBytes: 256 * 1024 * 1024,
};

/** A queue exists with other arguments than this version declares (PRECONDITION_FAILED). */
export class TopologyMismatchError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'TopologyMismatchError';
  }
}

/** What an operator must do about an existing queue whose arguments changed. */
const MIGRATE: Record<string, string> = {
  'dead-letter': 'since dead letters are refused rather than dropped when the queue is full (x-overflow reject-publish), move or read out its messages, delete it (rabbitmqctl delete_queue NAME) and restart; see README.md "Operations" (upgrading RabbitMQ\'s queues)',
};

export async function declareTopology(ch: Channel, t: AmqpTopology): Promise<void> {
  await ch.assertExchange(t.deadExchange, 'fanout', { durable: true });
  await assertQueue(ch, t.deadQueue, 'dead-letter', {
    'x-queue-type': 'quorum',
    'x-max-length': t.deadMaxLength,
    'x-max-length-bytes': t.deadMaxBytes,
    'x-overflow': 'reject-publish',
  });
  await ch.bindQueue(t.deadQueue, t.deadExchange, '');
  await ch.assertExchange(t.exchange, 'direct', { durable: true });
  await assertQueue(ch, t.persistQueue, 'persist', { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': t.deadExchange, 'x-delivery-limit': t.deliveryLimit });
  await ch.bindQueue(t.persistQueue, t.exchange, PACK_ROUTING_KEY);
  if (!t.pushEnabled) {
    await ch.unbindQueue(t.pushQueue, t.exchange, PACK_ROUTING_KEY);
    return;
  }
  await assertQueue(ch, t.pushQueue, 'push', {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': t.deadExchange,
    'x-delivery-limit': t.deliveryLimit,
    'x-max-length': t.pushMaxLength,
    'x-max-length-bytes': t.pushMaxBytes,
  });
  await ch.bindQueue(t.pushQueue, t.exchange, PACK_ROUTING_KEY);
}

/** assertQueue, with a PRECONDITION_FAILED (406) turned into an error that says what to do. */
async function assertQueue(ch: Channel, name: string, role: string, args: Record<string, unknown>): Promise<void> {
  try {
    await ch.assertQueue(name, { durable: true, arguments: args });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 406) throw err;
    const todo = (MIGRATE[role] ?? 'delete it after draining it (rabbitmqctl delete_queue NAME) and restart').replaceAll('NAME', name);
    throw new TopologyMismatchError(
      `RabbitMQ refused to declare the ${role} queue "${name}": it exists with other arguments than ${JSON.stringify(args)} (${(err as Error).message}). To migrate: ${todo}`,
      { cause: err },
    );
  }
}
