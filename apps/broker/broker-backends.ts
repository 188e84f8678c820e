/**
 * The standalone broker's backends (`npm run broker`): the RabbitMQ offload and history (the
 * Redis recent cache with REDIS_URL, then the store). Persisting is the separate consumer
 * process's job.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { closeOnce } from '../shared/close-once';
import type { Config } from '../shared/config';
import { CachedHistory } from '../shared/history/cached-history';
import type { HistorySource } from '../shared/history/history';
import { openRecentCache } from '../shared/history/open-recent-cache';
import { createAmqpOffload } from '../shared/queue/amqp-offload';
import type { Offload } from '../shared/queue/offload';
import { packingFrom, topologyFrom } from '../shared/queue/queue-options';
import { openSqlStore } from '../shared/store/sql-store';
import { openStoreWith } from '../shared/store/store-opener';
import type { Store } from '../shared/store/store';

export interface BrokerBackendDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Share a store; else opened from DATABASE_URL / DATA_DIR and closed by close(). */
  store?: Store;
}

export interface BrokerBackends {
  offload: Offload;
  history: HistorySource;
  /** The store history falls back to (also serves the broker's REST API). */
  store: Store;
  close(): Promise<void>;
}

/**
 * The standalone broker's side only: RabbitMQ offload + history (cache from REDIS_URL, then the
 * store). Persisting is the separate consumer process's job.
 */
export async function openBrokerBackends(deps: BrokerBackendDeps): Promise<BrokerBackends> {
  const { config: c, logger, registry } = deps;
  if (!c.AMQP_URL) {
    throw new Error('a broker without its consumer needs AMQP_URL (RabbitMQ); without it run the all-in-one `npm start`');
  }
  const log = logger.child({ component: 'pipeline' });
  const ownStore = !deps.store;
  // Plain SQL, not Prisma: a broker only reads history and manages rooms (store/sql-store.ts).
  const store = deps.store ?? (await openStoreWith(openSqlStore, c, log, registry));
  const cache = c.REDIS_URL ? openRecentCache(c) : null;
  const offload = createAmqpOffload({ ...packingFrom(c), url: c.AMQP_URL, topology: topologyFrom(c), maxInflightPacks: c.OFFLOAD_MAX_INFLIGHT_PACKS }, log, registry);
  await offload.start();
  return {
    offload,
    history: new CachedHistory(cache, store, c.HISTORY_MAX || 1, log),
    store,
    close: closeOnce(async () => {
      await offload.close();
      await cache?.close();
      if (ownStore) await store.close();
    }),
  };
}
