/**
 * The store chosen by configuration, with the Postgres store a process prefers: Postgres when
 * DATABASE_URL is set (migrations applied first), else the embedded PGlite under DATA_DIR (in a
 * worker thread). With a registry the store is instrumented with prom-client metrics.
 * open-store.ts passes the Prisma store; a process that must not load Prisma (the broker)
 * passes sql-store.ts's, and this file imports neither.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Store } from './store';
import { openPgliteStore, pgliteDataDir } from './pglite-store';
import type { InsertPath } from './row-inserter';
import { instrumentStore } from './store-metrics';

export type StoreConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR'> &
  Partial<Pick<Config, 'STORE_INSERT_PATH' | 'STORE_INSERT_CHUNK_ROWS' | 'EMBEDDED_DB_SHARED_BUFFERS_MB'>>;

/** Opens the Postgres store at `url` (openPostgresStore, openSqlStore). */
export type PostgresOpener = (o: { url: string; log: (msg: string) => void; insertPath?: InsertPath; insertChunkRows?: number }) => Promise<Store>;

export async function openStoreWith(postgres: PostgresOpener, c: StoreConfig, logger: Logger, registry?: Registry): Promise<Store> {
  const insert = { insertPath: c.STORE_INSERT_PATH, insertChunkRows: c.STORE_INSERT_CHUNK_ROWS };
  const store = c.DATABASE_URL
    ? await postgres({ url: c.DATABASE_URL, log: (msg) => logger.info(msg), ...insert })
    : await openPgliteStore({
        dataDir: pgliteDataDir(c.DATA_DIR),
        ...insert,
        settings: c.EMBEDDED_DB_SHARED_BUFFERS_MB ? { shared_buffers: `${c.EMBEDDED_DB_SHARED_BUFFERS_MB}MB` } : {},
      });
  return registry ? instrumentStore(store, registry) : store;
}
