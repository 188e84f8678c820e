/**
 * Tell every broker process that a membership changed, so cached access answers are dropped.
 * The change is already committed: a failed notice is logged, not turned into a failed request
 * (the access cache's TTL bounds how long a lost notice matters).
 */
import type { FastifyRequest } from 'fastify';
import type { MembershipChange, MembershipEvents } from '../../shared/membership/membership-events';

export async function announceMembership(events: MembershipEvents | undefined, change: MembershipChange, request: FastifyRequest): Promise<void> {
  if (!events) return;
  try {
    await events.publish(change);
  } catch (err) {
    request.log.warn({ err, ...change }, 'membership change not announced: other processes keep their cached access until it expires');
  }
}
