/**
 * Pipeline wiring (issue 4 items 2-4): what the broker processes call to get their Offload
 * and HistorySource, with every backend chosen by configuration, one variable per component:
 *
 *   AMQP_URL      set: broker → RabbitMQ (amqp-offload.ts) → consumer reads the persist queue
 *                 unset: broker → in-process bounded queue (memory-queue.ts) → consumer
 *   REDIS_URL     set: Redis Stream buffer + Redis recent-N cache; unset: in-process twins
 *   DATABASE_URL  set: Postgres; unset: embedded PGlite under DATA_DIR (P1's MessageStore)
 *
 * All-in-one process (`npm start`, apps/main.ts), broker and consumer together:
 *
 *   const pipeline = await startPipeline({ config, logger, registry });
 *   const broker = await startBroker({ config, logger, offload: pipeline.offload, history: pipeline.history,
 *                                      routes: pipeline.routes });
 *   // shutdown: await broker.close() (closes the offload), then await pipeline.close()
 *   // (drains the in-process queue and stream into the database, closes the store).
 *
 * Standalone broker (`npm run broker`, consumer in its own process: `npm run consumer`):
 *
 *   const { offload, history, close } = await createBrokerPipeline({ config, logger, registry });
 *   // needs AMQP_URL (there is no consumer in this process to drain an in-process queue).
 *
 * `registry` is the process's prom-client Registry (the broker's, so /metrics shows both).
 * `store` may be passed in to share one MessageStore with the broker; otherwise it is opened
 * here (and closed by close()).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { MessageStore } from '../db/message-store';
import type { HistorySource } from '../history/history';
import type { Offload } from '../offload/offload';
import { createAmqpOffload } from '../offload/amqp-offload';
import { PackingOffload } from '../offload/packing-offload';
import { sendJson, type HttpRoute } from '../../broker/http/router';
import { AmqpConsumerLink } from '../../consumer/amqp-source';
import { startConsumer, type Consumer } from '../../consumer/consumer';
import { MemoryPackStream } from '../../consumer/memory-stream';
import { MemoryRecentCache } from '../../consumer/memory-recent-cache';
import type { PackStream } from '../../consumer/pack-stream';
import type { RecentCache } from '../../consumer/recent-cache';
import { RedisRecentCache } from '../../consumer/redis-recent-cache';
import { RedisPackStream } from '../../consumer/redis-stream';
import { CachedHistory } from './history-source';
import { MemoryDeadLetters, MemoryPackQueue } from './memory-queue';
import { consumerFrom, packingFrom, topologyFrom } from './options';
import type { DeadLetterSink, PackSource } from './pack-source';
import { openMessageStore } from './store';

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Share the broker's store; else opened from DATABASE_URL / DATA_DIR and closed by close(). */
  store?: MessageStore;
}

export interface Pipeline {
  offload: Offload;
  history: HistorySource;
  store: MessageStore;
  consumer: Consumer;
  /** Embedded dead letters (null when they go to RabbitMQ). */
  deadLetters: MemoryDeadLetters | null;
  /**
   * Extra HTTP routes for the broker: `GET /api/dead-letters` (embedded mode: the in-memory
   * dead letters' reasons and message ids, newest last; with RabbitMQ they are in its DLQ).
   */
  routes: HttpRoute[];
  /** Drain the queue and stream into the database (bounded by DRAIN_TIMEOUT_MS), release everything. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reasons and ids only: bodies stay out of an unauthenticated HTTP answer. */
function deadLettersRoute(dead: MemoryDeadLetters): HttpRoute {
  return {
    method: 'GET',
    path: '/api/dead-letters',
    handler: (_req, res, _params, url) => {
      const limit = Math.max(1, Math.min(1_000, Number(url.searchParams.get('limit')) || 100));
      const letters = dead.list().slice(-limit).map((l) => ({ stage: l.stage, reason: l.reason, messageIds: l.messageIds, bytes: l.body.length }));
      sendJson(res, 200, { total: dead.list().length, letters });
    },
  };
}

/** The recent cache chosen by REDIS_URL (null when RECENT_CACHE_SIZE is 0). */
export function recentCacheFor(c: Config): RecentCache | null {
  if (c.RECENT_CACHE_SIZE === 0) return null;
  return c.REDIS_URL
    ? new RedisRecentCache({ url: c.REDIS_URL, keyPrefix: c.RECENT_CACHE_PREFIX, size: c.RECENT_CACHE_SIZE, ttlSeconds: c.RECENT_CACHE_TTL_S })
    : new MemoryRecentCache(c.RECENT_CACHE_SIZE, 100_000);
}

/** The stream buffer chosen by REDIS_URL. */
export function streamFor(c: Config): PackStream {
  return c.REDIS_URL ? new RedisPackStream({ url: c.REDIS_URL, key: c.STREAM_KEY, group: c.STREAM_GROUP }) : new MemoryPackStream();
}

/** Broker + consumer in one process (the all-in-one `npm start`). */
export async function startPipeline(deps: PipelineDeps): Promise<Pipeline> {
  const { config: c, logger, registry } = deps;
  const log = logger.child({ component: 'pipeline' });
  const ownStore = !deps.store;
  const store = deps.store ?? (await openMessageStore(c, log, registry));
  const cache = recentCacheFor(c);
  const stream = streamFor(c);

  let offload: PackingOffload;
  let source: PackSource;
  let deadSink: DeadLetterSink;
  let memoryDead: MemoryDeadLetters | null = null;
  let memoryQueue: MemoryPackQueue | null = null;
  if (c.AMQP_URL) {
    offload = createAmqpOffload({ ...packingFrom(c), url: c.AMQP_URL, topology: topologyFrom(c), maxInflightPacks: c.OFFLOAD_MAX_INFLIGHT_PACKS }, log, registry);
    const link = new AmqpConsumerLink({ url: c.AMQP_URL, topology: topologyFrom(c), prefetch: c.CONSUMER_PREFETCH }, log, registry);
    source = link.source;
    deadSink = link.deadLetters;
  } else {
    memoryQueue = new MemoryPackQueue(c.EMBEDDED_QUEUE_MAX, c.CONSUMER_PREFETCH, registry);
    offload = new PackingOffload(memoryQueue.transport, packingFrom(c), log, registry);
    source = memoryQueue.source;
    deadSink = memoryDead = new MemoryDeadLetters(c.EMBEDDED_DEAD_LETTERS_MAX, registry);
  }
  const consumer = await startConsumer({ source, stream, cache, deadLetters: deadSink, store }, consumerFrom(c), log, registry);
  await offload.start();
  log.info({ offload: offload.kind, stream: stream.kind, cache: cache?.kind ?? 'off', store: store.kind }, 'pipeline started');

  let closing: Promise<void> | null = null;
  return {
    offload,
    history: new CachedHistory(cache, store, c.HISTORY_MAX || 1, log),
    store,
    consumer,
    deadLetters: memoryDead,
    routes: memoryDead ? [deadLettersRoute(memoryDead)] : [],
    close: () =>
      (closing ??= (async () => {
        const deadline = Date.now() + c.DRAIN_TIMEOUT_MS;
        await offload.close();
        // The in-process queue dies with the process: let the consumer empty it first.
        while (memoryQueue && memoryQueue.depth() > 0 && Date.now() < deadline) await sleep(20);
        if (memoryQueue && memoryQueue.depth() > 0) log.error({ messages: memoryQueue.depth() }, 'in-process queue not drained before shutdown; these messages are lost');
        await consumer.close();
        if (ownStore) await store.close();
      })()),
  };
}

export interface BrokerPipeline {
  offload: Offload;
  history: HistorySource;
  /** The store history falls back to (also serves the broker's REST API). */
  store: MessageStore;
  close(): Promise<void>;
}

/**
 * The standalone broker's side only: RabbitMQ offload + history (cache from REDIS_URL, then the
 * store). Persisting is the separate consumer process's job.
 */
export async function createBrokerPipeline(deps: PipelineDeps): Promise<BrokerPipeline> {
  const { config: c, logger, registry } = deps;
  if (!c.AMQP_URL) {
    throw new Error('a broker without its consumer needs AMQP_URL (RabbitMQ); without it run the all-in-one `npm start`');
  }
  const log = logger.child({ component: 'pipeline' });
  const ownStore = !deps.store;
  const store = deps.store ?? (await openMessageStore(c, log, registry));
  const cache = c.REDIS_URL ? recentCacheFor(c) : null;
  const offload = createAmqpOffload({ ...packingFrom(c), url: c.AMQP_URL, topology: topologyFrom(c), maxInflightPacks: c.OFFLOAD_MAX_INFLIGHT_PACKS }, log, registry);
  await offload.start();
  return {
    offload,
    history: new CachedHistory(cache, store, c.HISTORY_MAX || 1, log),
    store,
    close: async () => {
      await offload.close();
      await cache?.close();
      if (ownStore) await store.close();
    },
  };
}
