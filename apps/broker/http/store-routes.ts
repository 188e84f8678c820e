/**
 * The REST API the store serves: rooms, members, device tokens, history pages and presence.
 * Mounted among the broker's data routes, behind the guard (api-guard.ts) that identifies
 * every caller.
 */
import type { HttpPlugin } from '../../shared/http/create-http-server';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import type { Presence } from '../../shared/presence/presence';
import type { Store } from '../../shared/store/store';
import { deviceRoutes } from './device-routes';
import { historyRoutes } from './history-routes';
import { memberRoutes } from './member-routes';
import { presenceRoute } from './presence-route';
import { roomRoutes } from './room-routes';

export interface StoreRouteOptions {
  /** Who is online (GET /api/rooms/:roomId/presence answers 503 without it). */
  presence?: Pick<Presence, 'onlineAmong'>;
  /** Told of every membership change, so brokers drop cached access answers. */
  membershipEvents?: MembershipEvents;
  /** Largest JSON body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
}

export function storeRoutes(store: Store, o: StoreRouteOptions = {}): HttpPlugin {
  return async (app) => {
    await app.register(historyRoutes(store));
    await app.register(roomRoutes(store, { membershipEvents: o.membershipEvents, maxBodyBytes: o.maxBodyBytes }));
    await app.register(memberRoutes(store, { membershipEvents: o.membershipEvents, maxBodyBytes: o.maxBodyBytes }));
    await app.register(deviceRoutes(store, { maxBodyBytes: o.maxBodyBytes }));
    await app.register(presenceRoute(store, o.presence));
  };
}
