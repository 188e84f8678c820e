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

export async function openStore(c: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'>, logger: Logger, registry?: Registry): Promise<Store> {
  const store = c.DATABASE_URL
    ? await openPostgresStore({ url: c.DATABASE_URL, log: (msg) => logger.info(msg) })
    : await openPgliteStore({ dataDir: pgliteDataDir(c.DATA_DIR) });
  return registry ? instrumentStore(store, registry) : store;
}
