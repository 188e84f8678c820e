/**
 * Persistence entry point (issue 4 items 1 and 4). `openMessageStore` picks the backend from
 * configuration: DATABASE_URL set = real Postgres, else the embedded PGlite under DATA_DIR.
 */
import type { Registry } from 'prom-client';
import type { HistorySource } from '../history/history';
import type { MessageStore } from './message-store';
import { openPostgresStore } from './postgres-store';
import { openPgliteStore, pgliteDataDir } from './pglite-store';
import { instrumentStore } from './store-metrics';

export * from './message-store';
export { openPostgresStore, migratePostgres, maskUrl } from './postgres-store';
export { openPgliteStore, pgliteDataDir, PgliteStore } from './pglite-store';
export { historyRoutes, messageToJson } from './history-routes';
export { roomRoutes, loopbackOnly, type RoomRouteOptions } from './room-routes';
export { instrumentStore } from './store-metrics';
export { InvalidArgumentError } from './validate';

export interface OpenStoreOptions {
  /** Config DATABASE_URL; undefined = embedded. */
  databaseUrl?: string;
  /** Config DATA_DIR (embedded database in DATA_DIR/pglite). */
  dataDir: string;
  /** When given, the store is wrapped with prom-client metrics in this registry. */
  registry?: Registry;
  log?: (msg: string) => void;
}

export async function openMessageStore(opts: OpenStoreOptions): Promise<MessageStore> {
  const store = opts.databaseUrl
    ? await openPostgresStore({ url: opts.databaseUrl, log: opts.log })
    : await openPgliteStore({ dataDir: pgliteDataDir(opts.dataDir) });
  return opts.registry ? instrumentStore(store, opts.registry) : store;
}

/** HistorySource (apps/shared/history/history.ts) answered straight from the store. */
export function storeHistorySource(store: MessageStore): HistorySource {
  return {
    query: (q) => (q.kind === 'last' ? store.lastMessages(q.roomId, q.limit) : store.messagesAfter(q.roomId, q.afterId, q.limit)),
  };
}
