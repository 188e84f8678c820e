/** Prometheus view of the access policy and its membership cache (read at scrape time). */
import type { Registry } from 'prom-client';
import { mirror, scrapedGauge } from '../broker-metrics';
import type { BrokerAccessPolicy } from './broker-access-policy';
import type { MembershipCache } from './membership-cache';

export function registerAccessMetrics(registry: Registry, policy: BrokerAccessPolicy, cache: MembershipCache | null): void {
  mirror(registry, 'stompbox_access_denied_total', 'SUBSCRIBEs and SENDs refused with ERROR forbidden, by kind of destination', () => ({ ...policy.denied }), 'kind');
  if (!cache) return;
  const s = cache.stats;
  scrapedGauge(registry, 'stompbox_access_cache_entries', 'Membership answers cached in this process (ACCESS_CACHE_MAX_ENTRIES bounds it)', () => cache.size);
  mirror(registry, 'stompbox_access_cache_hits_total', 'Membership checks answered from the cache', () => s.hits);
  mirror(registry, 'stompbox_access_cache_lookups_total', 'Membership lookups in the database', () => s.lookups);
  mirror(registry, 'stompbox_access_cache_lookup_failures_total', 'Membership lookups that failed', () => s.lookupFailures);
  mirror(registry, 'stompbox_access_cache_evictions_total', 'Membership answers dropped to stay within ACCESS_CACHE_MAX_ENTRIES', () => s.evictions);
  mirror(registry, 'stompbox_access_cache_invalidations_total', 'Membership change notices applied (and full flushes after a resync)', () => s.invalidations);
}
