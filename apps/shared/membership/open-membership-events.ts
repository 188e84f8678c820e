/** Membership events chosen by configuration: Redis pub/sub with REDIS_URL, else the in-process twin. */
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { MembershipEvents } from './membership-events';
import { MemoryMembershipEvents } from './memory-membership-events';
import { RedisMembershipEvents } from './redis-membership-events';

export function openMembershipEvents(c: Config, registry?: Registry, logger?: Logger): MembershipEvents {
  return c.REDIS_URL
    ? new RedisMembershipEvents({ url: c.REDIS_URL, channel: c.MEMBERSHIP_CHANNEL, publishTimeoutMs: c.MEMBERSHIP_PUBLISH_TIMEOUT_MS, registry, logger })
    : new MemoryMembershipEvents({ logger });
}
