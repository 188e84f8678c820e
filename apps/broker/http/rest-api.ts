/**
 * The REST data routes a process mounts on the broker, from configuration and what the process
 * has: a store (rooms, members, devices, history, presence), the hub's user queues, embedded dead
 * letters. What a process lacks is left out or answers 503 (presence, user messages).
 */
import type { Config } from '../../shared/config';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import type { Presence } from '../../shared/presence/presence';
import type { Store } from '../../shared/store/store';
import { deadLettersRoute, type DeadLetterList } from './dead-letters-route';
import { adminOnly } from './request-principal';
import { storeRoutes } from './store-routes';
import { userMessageRoute, type SendToUser } from './user-message-route';

export interface RestApiDeps {
  store?: Store;
  presence?: Pick<Presence, 'onlineAmong'>;
  membershipEvents?: MembershipEvents;
  sendToUser?: SendToUser;
  deadLetters?: DeadLetterList | null;
}

export function restApi(config: Config, d: RestApiDeps): HttpPlugin[] {
  const maxBodyBytes = config.API_MAX_BODY_BYTES;
  return [
    ...(d.store ? [storeRoutes(d.store, { presence: d.presence, membershipEvents: d.membershipEvents, maxBodyBytes })] : []),
    userMessageRoute(d.sendToUser, { allow: config.API_USER_MESSAGES, maxBodyBytes }),
    ...(d.deadLetters ? [adminOnly(deadLettersRoute(d.deadLetters))] : []),
  ];
}
