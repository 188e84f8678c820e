/**
 * Opens P1's MessageStore (apps/shared/db): Postgres when DATABASE_URL is set (migrations
 * applied first), else the embedded PGlite under DATA_DIR (in a worker thread). With a
 * registry the store is instrumented with P1's metrics.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import { openMessageStore as openStore } from '../db/index';
import type { MessageStore } from '../db/message-store';

export async function openMessageStore(c: Config, logger: Logger, registry?: Registry): Promise<MessageStore> {
  return openStore({ databaseUrl: c.DATABASE_URL, dataDir: c.DATA_DIR, registry, log: (msg) => logger.info(msg) });
}
