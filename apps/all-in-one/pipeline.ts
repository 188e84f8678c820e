/**
 * The consumer side of the all-in-one process: the offload the broker publishes to, the
 * consumer that reads it, and history, each backend chosen by configuration:
 *
 *   AMQP_URL      set: broker → RabbitMQ → consumer reads the persist queue
 *                 unset: broker → in-process queue twin → consumer
 *   REDIS_URL     set: Redis Stream buffer + Redis recent-N cache; unset: in-process twins
 *   DATABASE_URL  set: Postgres; unset: embedded PGlite under DATA_DIR
 *
 * Shutdown order: the broker closes the offload, then close() drains the in-process queue and
 * the stream into the database and closes the store.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { closeOnce } from '../shared/close-once';
import { sleep } from '../shared/sleep';
import { consumerFrom } from '../consumer/consumer-options';
import { startConsumer, type Consumer } from '../consumer/consumer';
import { openPackStream } from '../consumer/stream/open-stream';
import type { Config } from '../shared/config';
import { CachedHistory } from '../shared/history/cached-history';
import type { HistorySource } from '../shared/history/history';
import { openRecentCache } from '../shared/history/open-recent-cache';
import { AmqpConsumerLink } from '../shared/queue/amqp-consumer-link';
import { createAmqpOffload } from '../shared/queue/amqp-offload';
import { MemoryDeadLetters, MemoryPackQueue } from '../shared/queue/memory-queue';
import type { Offload } from '../shared/queue/offload';
import type { DeadLetterSink, PackSource } from '../shared/queue/pack-source';
import { PackingOffload } from '../shared/queue/packing-offload';
import { packingFrom, topologyFrom } from '../shared/queue/queue-options';
import { openStore } from '../shared/store/open-store';
import type { Store } from '../shared/store/store';

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Share the broker's store; else opened from DATABASE_URL / DATA_DIR and closed by close(). */
  store?: Store;
}

export interface Pipeline {
  offload: Offload;
  history: HistorySource;
  store: Store;
  consumer: Consumer;
  /** Embedded dead letters (null when they go to RabbitMQ). */
  deadLetters: MemoryDeadLetters | null;
  /** Drain the queue and stream into the database (bounded by DRAIN_TIMEOUT_MS), release everything. */
  close(): Promise<void>;
}

/** Broker + consumer in one process (the all-in-one `npm start`). */
export async function startPipeline(deps: PipelineDeps): Promise<Pipeline> {
  const { config: c, logger, registry } = deps;
  const log = logger.child({ component: 'pipeline' });
  const ownStore = !deps.store;
  const store = deps.store ?? (await openStore(c, log, registry));
  const cache = openRecentCache(c);
  let memoryQueue: MemoryPackQueue | null = null;
  // Without RabbitMQ the queue lives in this process: a pack is confirmed (and its RECEIPTs
  // written) only once it is durable further on — in Redis, or committed to the database.
  const stream = openPackStream(c, (pack) => memoryQueue?.stored(pack));

  let offload: PackingOffload;
  let source: PackSource;
  let deadSink: DeadLetterSink;
  let memoryDead: MemoryDeadLetters | null = null;
  if (c.AMQP_URL) {
    offload = createAmqpOffload({ ...packingFrom(c), url: c.AMQP_URL, topology: topologyFrom(c), maxInflightPacks: c.OFFLOAD_MAX_INFLIGHT_PACKS }, log, registry);
    const link = new AmqpConsumerLink({ url: c.AMQP_URL, topology: topologyFrom(c), prefetch: c.CONSUMER_PREFETCH }, log, registry);
    source = link.source;
    deadSink = link.deadLetters;
  } else {
    memoryQueue = new MemoryPackQueue(c.EMBEDDED_QUEUE_MAX, c.CONSUMER_PREFETCH, registry, c.EMBEDDED_QUEUE_MAX_BYTES, c.REDIS_URL ? 'handed-over' : 'stored');
    offload = new PackingOffload(memoryQueue.transport, packingFrom(c), log, registry);
    source = memoryQueue.source;
    deadSink = memoryDead = new MemoryDeadLetters(c.EMBEDDED_DEAD_LETTERS_MAX, registry);
  }
  const consumer = await startConsumer({ source, stream, cache, deadLetters: deadSink, store }, consumerFrom(c), log, registry);
  await offload.start();
  log.info({ offload: offload.kind, stream: stream.kind, cache: cache?.kind ?? 'off', store: store.kind }, 'pipeline started');

  return {
    offload,
    history: new CachedHistory(cache, store, c.HISTORY_MAX || 1, log),
    store,
    consumer,
    deadLetters: memoryDead,
    close: closeOnce(async () => {
      const deadline = Date.now() + c.DRAIN_TIMEOUT_MS;
      await offload.close();
      // The in-process queue dies with the process: let the consumer empty it first.
      while (memoryQueue && memoryQueue.depth() > 0 && Date.now() < deadline) await sleep(20);
      if (memoryQueue && memoryQueue.depth() > 0) log.error({ messages: memoryQueue.depth() }, 'in-process queue not drained before shutdown; these messages are lost');
      await consumer.close();
      if (ownStore) await store.close();
    }),
  };
}
