/**
 * The offload seam (apps/README.md "Processes"): after local delivery the broker hands each
 * accepted SEND, once, to an Offload. Implementations: PackingOffload over RabbitMQ with
 * publisher confirms (`amqp-offload.ts`) or over the in-process queue twin (`memory-queue.ts`),
 * and the counting `memory-offload.ts` for a broker that persists nothing.
 */

import type { OutboundMessage } from '../message';

export type { OutboundMessage };

/** Thrown synchronously by `publish` when the bounded buffer cannot take the message. */
export class OffloadFullError extends Error {
  constructor(detail = 'offload buffer is full') {
    super(detail);
    this.name = 'OffloadFullError';
  }
}

export interface Offload {
  /** Short name for logs and metrics ("memory", "amqp"). */
  readonly kind: string;
  /**
   * Enqueue one message. Throws OffloadFullError synchronously when the bounded buffer
   * is full or the backend is known to be unavailable (the broker answers ERROR: never a
   * silent drop). The promise resolves once the message is durably accepted (for RabbitMQ:
   * the publisher confirm) and rejects if it never will be. Callers always attach a handler.
   */
  publish(msg: OutboundMessage): Promise<void>;
  /** Messages accepted by `publish` and not yet confirmed. */
  depth(): number;
  /** True when publishing is currently possible (used by /readyz). */
  isReady(): boolean;
  start(): Promise<void>;
  /** Stop taking messages, wait for outstanding confirms (bounded by a timeout), release resources. */
  close(): Promise<void>;
}
