/** Metrics every dead-letter sink shares (RabbitMQ and the in-memory twin), on the caller's Registry. */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../metrics';

/** Letters a full sink refused (each attempt); the consumer holds them and retries. */
export function deadLettersRefused(registry: Registry) {
  return counter(registry, 'stompbox_dead_letters_refused_total', 'Dead letters refused because the dead-letter queue is full (attempts; held and retried)', ['sink']);
}

/** Letters the consumer holds because the sink refused them; its packs stay un-acked meanwhile. */
export function deadLettersHeld(registry: Registry) {
  return gauge(registry, 'stompbox_dead_letters_held', 'Dead letters waiting for room in the full dead-letter queue (their packs stay unacknowledged)');
}
