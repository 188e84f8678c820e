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
import { openTrendingStore } from '../shared/insights/open-trending-store';
import type { TrendingStore } from '../shared/insights/trending-store';
import { startInsights } from '../consumer/insights/start-insights';
import type { TrendingTicker } from '../consumer/insights/trending-ticker';
import { startPushFromConfig } from '../consumer/push/open-push';
import type { PushService } from '../consumer/push/push';
import type { PushSender } from '../consumer/push/push-sender';
import type { Presence } from '../shared/presence/presence';
import { MemoryBranchQueue } from '../shared/queue/memory-branch-queue';

export interface PipelineDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Share the broker's store; else opened from DATABASE_URL / DATA_DIR and closed by close(). */
  store?: Store;
  /** Who is online, for push (the broker's presence); absent: every member but the sender counts as offline. */
  presence?: Presence;
  /** Replaces the sender the configuration chooses (tests aim firebase-admin at a local mock). */
  pushSender?: PushSender;
}

export interface Pipeline {
  offload: Offload;
  history: HistorySource;
  store: Store;
  consumer: Consumer;
  /** Embedded dead letters (null when they go to RabbitMQ). */
  deadLetters: MemoryDeadLetters | null;
  /** Trending word buckets the consumer counts into (null: INSIGHTS_ENABLED=false), and the live ticker (INSIGHTS_LIVE_INTERVAL_S). */
  trending: TrendingStore | null;
  trendingTicker: TrendingTicker | null;
  /** The push consumer (null: AMQP_PUSH_ENABLED=false). */
  push: PushService | null;
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
  let pushSource: PackSource | null = null;
  let pushDead: DeadLetterSink | null = null;
  if (c.AMQP_URL) {
    offload = createAmqpOffload({ ...packingFrom(c), url: c.AMQP_URL, topology: topologyFrom(c), maxInflightPacks: c.OFFLOAD_MAX_INFLIGHT_PACKS }, log, registry);
    const link = new AmqpConsumerLink({ url: c.AMQP_URL, topology: topologyFrom(c), prefetch: c.CONSUMER_PREFETCH }, log, registry);
    source = link.source;
    deadSink = link.deadLetters;
    if (c.AMQP_PUSH_ENABLED) {
      const pushLink = new AmqpConsumerLink({ url: c.AMQP_URL, topology: topologyFrom(c), prefetch: c.PUSH_PREFETCH, queue: c.AMQP_PUSH_QUEUE }, log, registry);
      pushSource = pushLink.source;
      pushDead = pushLink.deadLetters;
    }
  } else {
    memoryQueue = new MemoryPackQueue(c.EMBEDDED_QUEUE_MAX, c.CONSUMER_PREFETCH, registry, c.EMBEDDED_QUEUE_MAX_BYTES, c.REDIS_URL ? 'handed-over' : 'stored');
    offload = new PackingOffload(memoryQueue.transport, packingFrom(c), log, registry);
    source = memoryQueue.source;
    deadSink = memoryDead = new MemoryDeadLetters(c.EMBEDDED_DEAD_LETTERS_MAX, registry);
    if (c.AMQP_PUSH_ENABLED) {
      // The twin's push queue: a copy of every pack, bounded like RabbitMQ's (oldest dead-lettered).
      const dead = memoryDead;
      const branch = new MemoryBranchQueue(c.AMQP_PUSH_QUEUE, c.AMQP_PUSH_MAX_LENGTH, c.AMQP_PUSH_MAX_BYTES, c.PUSH_PREFETCH, registry, (body) => {
        void dead.put({ reason: 'push queue full (maxlen): oldest pack dropped', stage: 'push-queue', body, messageIds: [] }).catch(() => undefined);
      });
      memoryQueue.addBranch(branch);
      pushSource = branch.source;
      pushDead = memoryDead;
    }
  }
  const trending = openTrendingStore(c);
  const insights = trending ? startInsights(c, trending, log, registry) : null;
  const consumer = await startConsumer({ source, stream, cache, deadLetters: deadSink, store, onStored: insights?.counter.onStored }, consumerFrom(c), log, registry);
  const push = pushSource && pushDead
    ? await startPushFromConfig(c, { source: pushSource, deadLetters: pushDead, store, presence: deps.presence ?? null, sender: deps.pushSender }, log, registry)
    : null;
  await offload.start();
  log.info({ offload: offload.kind, stream: stream.kind, cache: cache?.kind ?? 'off', store: store.kind }, 'pipeline started');

  return {
    offload,
    history: new CachedHistory(cache, store, c.HISTORY_MAX || 1, log),
    store,
    consumer,
    deadLetters: memoryDead,
    trending,
    trendingTicker: insights?.ticker ?? null,
    push,
    close: closeOnce(async () => {
      const deadline = Date.now() + c.DRAIN_TIMEOUT_MS;
      await offload.close();
      // The in-process queue dies with the process: let the consumer empty it first.
      while (memoryQueue && memoryQueue.depth() > 0 && Date.now() < deadline) await sleep(20);
      if (memoryQueue && memoryQueue.depth() > 0) log.error({ messages: memoryQueue.depth() }, 'in-process queue not drained before shutdown; these messages are lost');
      await consumer.close();
      await push?.close();
      await insights?.close(deadline);
      await trending?.close();
      if (ownStore) await store.close();
    }),
  };
}
