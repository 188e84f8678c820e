/**
 * Opens the store chosen by configuration: Postgres when DATABASE_URL is set (migrations
 * applied first), else the embedded PGlite under DATA_DIR (in a worker thread). With a
 * registry the store is instrumented with prom-client metrics.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Store } from './store';
import { openPostgresStore } from './postgres-store';
import { openPgliteStore, pgliteDataDir } from './pglite-store';
import { instrumentStore } from './store-metrics';

type StoreConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR'> &
  Partial<Pick<Config, 'STORE_INSERT_PATH' | 'STORE_INSERT_CHUNK_ROWS' | 'EMBEDDED_DB_SHARED_BUFFERS_MB'>>;

export async function openStore(c: StoreConfig, logger: Logger, registry?: Registry): Promise<Store> {
  const insert = { insertPath: c.STORE_INSERT_PATH, insertChunkRows: c.STORE_INSERT_CHUNK_ROWS };
  const store = c.DATABASE_URL
    ? await openPostgresStore({ url: c.DATABASE_URL, log: (msg) => logger.info(msg), ...insert })
    : await openPgliteStore({
        dataDir: pgliteDataDir(c.DATA_DIR),
        ...insert,
        settings: c.EMBEDDED_DB_SHARED_BUFFERS_MB ? { shared_buffers: `${c.EMBEDDED_DB_SHARED_BUFFERS_MB}MB` } : {},
      });
  return registry ? instrumentStore(store, registry) : store;
}
