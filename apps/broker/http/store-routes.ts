/** The REST API the store serves: history pages, and rooms, members and device tokens. */
import type { Store } from '../../shared/store/store';
import { historyRoutes } from './history-routes';
import { roomRoutes } from './room-routes';
import type { HttpRoute } from '../../shared/http/router';

export function storeRoutes(store: Store): HttpRoute[] {
  return [...historyRoutes(store), ...roomRoutes(store)];
}
