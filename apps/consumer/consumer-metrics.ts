/**
 * Metrics of the consumer, on the caller's Registry. What happens at the database (rows by
 * outcome, insert time, outages) is counted by the store wrapper (shared/store/store-metrics.ts)
 * on the same registry, not here.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../shared/metrics';

export function consumerMetrics(registry: Registry) {
  return {
    packsIn: counter(registry, 'stompbox_consumer_packs_total', 'Packs taken from the queue, by outcome', ['result']),
    streamLength: gauge(registry, 'stompbox_consumer_stream_entries', 'Entries in the persistence stream not yet written to the database'),
    backpressure: gauge(registry, 'stompbox_consumer_backpressure', '1 while the stream is past its bound and the bridge takes nothing from the queue'),
    bridgeErrors: counter(registry, 'stompbox_consumer_stream_errors_total', 'Failed appends to the stream (retried)'),
    cacheErrors: counter(registry, 'stompbox_consumer_cache_errors_total', 'Failed recent-cache writes (not retried: the database is the source of truth)'),
    skipped: counter(registry, 'stompbox_consumer_messages_not_room_total', 'Messages not persisted because they are not room messages'),
    deadLetters: counter(registry, 'stompbox_dead_letters_total', 'Messages or packs dead-lettered, by stage', ['stage']),
    storeErrors: counter(registry, 'stompbox_consumer_store_errors_total', 'Failed batch insert attempts of the writers, any cause (retried with backoff)'),
    batchRows: histogram(registry, 'stompbox_consumer_batch_rows', 'Rows per batch insert', [1, 10, 50, 100, 250, 500, 1000, 2000, 5000]),
    lagSeconds: histogram(registry, 'stompbox_consumer_lag_seconds', 'SEND accepted by the broker to row inserted', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
    claimed: counter(registry, 'stompbox_consumer_claimed_entries_total', 'Stream entries reclaimed from writers that stopped (XAUTOCLAIM)'),
    firstUsePairs: counter(
      registry,
      'stompbox_first_use_pairs_total',
      'First-use (room, sender) pairs by outcome: added, existing (already a member), rate_limited (past FIRST_USE_ROOMS_PER_SENDER_PER_MINUTE), dropped (queue full or shutdown), failed (database error), invalid; the messages are stored in every case',
      ['outcome'],
    ),
    firstUseQueued: gauge(registry, 'stompbox_first_use_queue_pairs', 'First-use pairs waiting to be created (at most FIRST_USE_QUEUE_MAX)'),
  };
}

export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;
