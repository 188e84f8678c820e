/** The REST API the store serves: history pages, and rooms, members and device tokens. */
import type { HttpPlugin } from '../../shared/http/create-http-server';
import type { Store } from '../../shared/store/store';
import { historyRoutes } from './history-routes';
import { roomRoutes } from './room-routes';

export function storeRoutes(store: Store): HttpPlugin {
  return async (app) => {
    await app.register(historyRoutes(store));
    await app.register(roomRoutes(store));
  };
}
