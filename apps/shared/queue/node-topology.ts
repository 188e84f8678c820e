/**
 * RabbitMQ topology of the cluster's live fan-out between broker nodes (apps/README.md
 * "Cluster"), beside the persist path's (amqp-topology.ts) and independent of it:
 *
 *   exchange `stompbox.nodes` (direct, durable) ──key = destination──▶ queue `stompbox.node.<nodeId>`
 *                                                                       (exclusive, auto-delete; one per node)
 *
 * The exchange is durable and never auto-delete: an auto-delete exchange vanishes with its last
 * binding, and the next bind then fails 404 and closes the channel. The node queue is exclusive
 * to the node's connection, so a node killed with -9 takes its queue and bindings with it; it is
 * named after the node id so that two nodes given the same NODE_ID fail loudly (RESOURCE_LOCKED)
 * instead of silently skipping each other's messages as their own.
 */
import { createHash } from 'node:crypto';
import type { Channel } from 'amqplib';

export interface NodeTopology {
  exchange: string;
  /** Queue name prefix; the node id follows. */
  queuePrefix: string;
  /**
   * What the node queue may hold (a node too slow to read). Past it RabbitMQ refuses new packs
   * for that queue and nacks them to the publishing node, which counts them as missed.
   */
  queueMaxBytes: number;
}

export const defaultNodeTopology: NodeTopology = { exchange: 'stompbox.nodes', queuePrefix: 'stompbox.node.', queueMaxBytes: 64 * 1024 * 1024 };

export function nodeQueueName(t: NodeTopology, nodeId: string): string {
  return `${t.queuePrefix}${nodeId}`;
}

/** AMQP routing keys are short strings (at most 255 bytes): longer destinations go by their hash. */
const MAX_KEY_BYTES = 255;

/**
 * The routing key of a destination: itself, or a hash when too long. Two destinations sharing a
 * key would only cost traffic, never a wrong delivery: the receiving node routes by the
 * message's own destination.
 */
export function routingKeyOf(destination: string): string {
  if (Buffer.byteLength(destination, 'utf8') <= MAX_KEY_BYTES) return destination;
  return `sha256:${createHash('sha256').update(destination).digest('hex')}`;
}

/** Declare the exchange and this node's queue (idempotent); returns the queue name. */
export async function declareNodeQueue(ch: Channel, t: NodeTopology, nodeId: string): Promise<string> {
  await ch.assertExchange(t.exchange, 'direct', { durable: true, autoDelete: false });
  const name = nodeQueueName(t, nodeId);
  await ch.assertQueue(name, {
    exclusive: true,
    autoDelete: true,
    durable: false,
    // reject-publish, not drop-head: a dropped head is lost without a trace, a refused publish is
    // nacked to its publisher (confirms are on), so every pack a node missed is counted somewhere.
    arguments: { 'x-max-length-bytes': t.queueMaxBytes, 'x-overflow': 'reject-publish' },
  });
  return name;
}
