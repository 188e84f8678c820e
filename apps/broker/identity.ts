/**
 * The identity side a broker process runs beside its hub: presence (who is connected, for
 * the REST API and the push consumer) and membership events (cached access answers dropped on
 * change), each on Redis with REDIS_URL or in-process otherwise; the hub's user queues as the
 * REST API's sender; and the demo page's token route when DEMO_TOKENS allows it.
 */
import type { Registry } from 'prom-client';
import { developmentToken } from '../shared/auth/development-token';
import type { Config } from '../shared/config';
import type { HttpPlugin } from '../shared/http/create-http-server';
import type { Logger } from '../shared/logger';
import { openMembershipEvents } from '../shared/membership/open-membership-events';
import type { MembershipEvents } from '../shared/membership/membership-events';
import { openPresence } from '../shared/presence/open-presence';
import type { Presence } from '../shared/presence/presence';
import type { RoomDirectory } from '../shared/store/room-directory';
import { demoTokenRoute } from './http/demo-token-route';
import type { SendToUser } from './http/user-message-route';
import type { Hub } from './hub/hub';

export interface Identity {
  presence: Presence;
  membershipEvents: MembershipEvents;
  close(): Promise<void>;
}

export async function openIdentity(config: Config, logger: Logger, registry: Registry): Promise<Identity> {
  const presence = openPresence(config, registry, logger);
  const membershipEvents = openMembershipEvents(config, registry, logger);
  await presence.start();
  try {
    await membershipEvents.start();
  } catch (e) {
    await presence.close();
    throw e;
  }
  logger.info({ presence: presence.kind, membershipEvents: membershipEvents.kind }, 'presence and membership events started');
  return {
    presence,
    membershipEvents,
    async close() {
      await membershipEvents.close();
      await presence.close();
    },
  };
}

/** The REST API's user-queue sender over a hub that exists only once the broker has started. */
export function hubSender(hub: () => Hub | null): SendToUser {
  return (userId, queue, body, contentType, senderId) => {
    const h = hub();
    if (!h) throw new Error('the broker is not started yet');
    const accepted = h.sendToUser(userId, queue, { contentType, headers: {}, body }, { userId: senderId });
    return accepted.confirmed.then(() => ({ id: accepted.msg.id }));
  };
}

/** The demo page's token route, when DEMO_TOKENS is on (the configuration requires JWT_SECRET). */
export function demoTokenRoutes(config: Config, rooms: Pick<RoomDirectory, 'addMember'> | undefined, membershipEvents: MembershipEvents): HttpPlugin[] {
  if (!config.DEMO_TOKENS || !config.JWT_SECRET || !rooms) return [];
  const secret = config.JWT_SECRET;
  return [demoTokenRoute({ mint: (user) => developmentToken(user, { secret, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlS: 12 * 3600 }), rooms, membershipEvents })];
}
