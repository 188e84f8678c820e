/**
 * The broker's access policy as configured: rooms by membership (the default with JWT) or
 * open (the default in development mode, where first use makes members), plain pub/sub and
 * user queues by their rules. Membership answers come from `members` (the store) through a
 * cache that MembershipEvents keep honest across processes.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../shared/config';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import { registerAccessMetrics } from './access-metrics';
import { BrokerAccessPolicy, type AccessRules } from './broker-access-policy';
import { MembershipCache, type MembershipLookup } from './membership-cache';

export interface AccessDeps {
  /** Where membership is looked up (the store); required when rooms need membership. */
  members?: MembershipLookup;
  /** Membership changes from every process (none: only the TTL ends a cached answer). */
  events?: MembershipEvents;
  registry?: Registry;
}

export interface ConfiguredAccess {
  policy: BrokerAccessPolicy;
  cache: MembershipCache | null;
  rules: AccessRules;
  /** Stop listening for membership changes. */
  close(): void;
}

export function roomAccessRule(config: Config, authMode: 'development' | 'jwt'): 'members' | 'open' {
  return config.ROOM_ACCESS ?? (authMode === 'jwt' ? 'members' : 'open');
}

export function accessFromConfig(config: Config, authMode: 'development' | 'jwt', deps: AccessDeps): ConfiguredAccess {
  const rules: AccessRules = { rooms: roomAccessRule(config, authMode), pubsub: config.PUBSUB_ACCESS, userSend: config.USER_SEND };
  let cache: MembershipCache | null = null;
  if (rules.rooms === 'members') {
    if (!deps.members) {
      throw new Error('room access by membership (ROOM_ACCESS=members, the default with JWT) needs the database: set DATABASE_URL or AMQP_URL, run `npm start`, or set ROOM_ACCESS=open');
    }
    cache = new MembershipCache(deps.members, { ttlMs: config.ACCESS_CACHE_TTL_MS, maxEntries: config.ACCESS_CACHE_MAX_ENTRIES });
  }
  const policy = new BrokerAccessPolicy(rules, cache);
  if (deps.registry) registerAccessMetrics(deps.registry, policy, cache);
  const c = cache;
  const events = deps.events;
  if (!c || !events) return { policy, cache, rules, close: () => {} };
  const stopChanges = events.subscribe((change) => c.invalidate(change));
  // Notices may have been lost while the bus was away: trust nothing cached from before.
  const stopResync = events.onResync?.(() => c.clear()) ?? (() => {});
  return {
    policy,
    cache,
    rules,
    close: () => {
      stopChanges();
      stopResync();
    },
  };
}
