/** The push consumer's metrics, on the caller's Registry. */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../../shared/metrics';

export function pushMetrics(registry: Registry) {
  return {
    sent: counter(registry, 'stompbox_push_sent_total', 'Pushes FCM accepted (one per token)'),
    wouldSend: counter(registry, 'stompbox_push_would_send_total', 'Pushes that would have been sent had FCM credentials been configured (one per token)'),
    failed: counter(registry, 'stompbox_push_failed_total', 'Pushes that failed for good, by reason (one per token; retried ones count when they are dead-lettered)', ['reason']),
    retried: counter(registry, 'stompbox_push_retries_total', 'Pushes scheduled for another try, by reason (one per token)', ['reason']),
    deadLettered: counter(registry, 'stompbox_push_dead_lettered_total', 'Pushes given up after their last try and dead-lettered, by reason (one per token)', ['reason']),
    tokensDeleted: counter(registry, 'stompbox_push_tokens_deleted_total', 'Device tokens deleted because FCM called them dead, by reason', ['reason']),
    pruned: counter(registry, 'stompbox_push_tokens_pruned_total', 'Device tokens deleted for not being seen for PUSH_TOKEN_MAX_AGE_DAYS'),
    payloadFixed: counter(registry, 'stompbox_push_payload_fixed_total', 'Pushes FCM refused as an invalid payload and sent again without the message text (one per token)'),
    collapsed: counter(registry, 'stompbox_push_collapsed_total', 'Messages folded into another push to the same user and room (burst collapse)'),
    decisions: counter(registry, 'stompbox_push_recipients_total', 'Room members considered per message: offline (push), online or sender (none)', ['decision']),
    noToken: counter(registry, 'stompbox_push_no_token_total', 'Pushes due for users without any device token'),
    packs: counter(registry, 'stompbox_push_packs_total', 'Packs taken from the push queue, by result', ['result']),
    batches: counter(registry, 'stompbox_push_fcm_batches_total', 'sendEachForMulticast or sendEach calls (at most 500 tokens each)'),
    fcmSeconds: histogram(registry, 'stompbox_push_fcm_seconds', 'Time of one sendEachForMulticast or sendEach call', [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
    retryTokens: gauge(registry, 'stompbox_push_retry_tokens', 'Tokens waiting for another try (with those being sent, bounded by PUSH_RETRY_MAX_TOKENS)'),
    inflightTokens: gauge(registry, 'stompbox_push_inflight_tokens', 'Tokens in sendEachForMulticast calls now'),
    windows: gauge(registry, 'stompbox_push_windows', 'Open (user, room) collapse windows (bounded by PUSH_COLLAPSE_MAX_WINDOWS / _BYTES)'),
    paused: gauge(registry, 'stompbox_push_paused', '1 while no pack is taken from the push queue (retries or windows at their bound)'),
    errors: counter(registry, 'stompbox_push_lookup_errors_total', 'Member, presence or token lookups that failed (the pack is tried again)'),
  };
}

export type PushMetrics = ReturnType<typeof pushMetrics>;
