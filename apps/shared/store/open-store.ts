/**
 * Opens the store chosen by configuration (store-opener.ts) with Postgres through Prisma
 * (postgres-store.ts): the consumer's and the all-in-one process's store.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Store } from './store';
import { openPostgresStore } from './postgres-store';
import { openStoreWith, type StoreConfig } from './store-opener';

export async function openStore(c: StoreConfig, logger: Logger, registry?: Registry): Promise<Store> {
  return openStoreWith(openPostgresStore, c, logger, registry);
}
