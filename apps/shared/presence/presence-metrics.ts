/** Prometheus metrics of presence, shared by both implementations (label `kind`). */
import type { Registry } from 'prom-client';
import { counter, gauge, histogram } from '../metrics';

export function presenceMetrics(registry: Registry, kind: string) {
  return {
    /** Users with a live connection on this process (incremented and decremented per instance). */
    users: gauge(registry, 'stompbox_presence_users', 'Users with at least one connection on this process', ['kind']).labels(kind),
    untracked: counter(registry, 'stompbox_presence_untracked_total', 'Connections not reported because PRESENCE_MAX_USERS_PER_PROCESS was reached', ['kind']).labels(kind),
    refreshFailures: counter(registry, 'stompbox_presence_refresh_failures_total', 'Failed writes or refreshes of this process\'s presence', ['kind']).labels(kind),
    fullSyncs: counter(registry, 'stompbox_presence_full_syncs_total', 'Times this process rewrote all its users (start, reconnect, lost key)', ['kind']).labels(kind),
    seconds: histogram(registry, 'stompbox_presence_redis_seconds', 'Round trip of presence writes and queries', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], ['op']),
  };
}

export type PresenceMetrics = ReturnType<typeof presenceMetrics>;
