/** Metrics of the word counting, on the caller's Registry. */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../../shared/metrics';

export function insightsMetrics(registry: Registry) {
  return {
    messages: counter(
      registry,
      'stompbox_insights_messages_total',
      'Stored room messages by counting outcome: counted, no_text (binary or no words), too_old (minute no longer kept), skipped_queue_full (the counting queue was at INSIGHTS_QUEUE_MAX / _BYTES), failed (the bucket store refused the batch)',
      ['outcome'],
    ),
    words: counter(registry, 'stompbox_insights_words_total', 'Words counted (each distinct word of a message once)'),
    wordsDropped: counter(
      registry,
      'stompbox_insights_words_dropped_total',
      'Words not kept: too_long (past INSIGHTS_MAX_WORD_CHARS), trimmed (long tail of a full minute bucket), memory_full (in-process buckets at INSIGHTS_MEMORY_MAX_WORDS)',
      ['reason'],
    ),
    queued: gauge(registry, 'stompbox_insights_queue_messages', 'Stored messages waiting to be counted'),
    queuedBytes: gauge(registry, 'stompbox_insights_queue_bytes', 'Body bytes of the messages waiting to be counted'),
    tokenizeSeconds: counter(registry, 'stompbox_insights_tokenize_seconds_total', 'Time spent finding the words of messages'),
    livePublished: counter(registry, 'stompbox_insights_live_published_total', 'Trending snapshots published to rooms\u2019 .trending destinations'),
    liveErrors: counter(registry, 'stompbox_insights_live_errors_total', 'Failed trending queries or publications of the live ticker'),
  };
}

export type InsightsMetrics = ReturnType<typeof insightsMetrics>;
