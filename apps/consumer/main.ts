/**
 * The consumer process (`npm run consumer`): RabbitMQ persist queue → Redis
 * Stream → batched inserts into Postgres, plus the recent-N cache; the push queue → FCM
 * pushes to offline members (apps/consumer/push, AMQP_PUSH_ENABLED); with /healthz, /readyz and
 * /metrics on CONSUMER_PORT. Needs AMQP_URL (the in-process queue only exists inside the
 * all-in-one process); REDIS_URL and DATABASE_URL fall back to the embedded twins.
 * SIGTERM/SIGINT: stop consuming, write what is buffered (DRAIN_TIMEOUT_MS), exit 0.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { exitOnSignals, loadConfigOrExit, runMain } from '../shared/process';
import { openRecentCache } from '../shared/history/open-recent-cache';
import { AmqpConsumerLink } from '../shared/queue/amqp-consumer-link';
import { topologyFrom } from '../shared/queue/queue-options';
import { openStore } from '../shared/store/open-store';
import { consumerFrom } from './consumer-options';
import { openPackStream } from './stream/open-stream';
import { startConsumer } from './consumer';
import { startConsumerHttp } from './consumer-http';
import { openTrendingStore } from '../shared/insights/open-trending-store';
import { startInsights } from './insights/start-insights';
import { startPushFromConfig } from './push/open-push';
import { openPresence } from '../shared/presence/open-presence';

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'consumer');
  if (!config.AMQP_URL) {
    logger.fatal('the consumer process needs AMQP_URL (RabbitMQ); without it `npm start` runs broker and consumer in one process');
    process.exit(2);
  }
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const store = await openStore(config, logger, registry);
  const link = new AmqpConsumerLink({ url: config.AMQP_URL, topology: topologyFrom(config), prefetch: config.CONSUMER_PREFETCH }, logger, registry);
  // Counts kept in this process's memory would be read by nobody: the broker reads Redis.
  const trending = config.REDIS_URL ? openTrendingStore(config) : null;
  const insights = trending ? startInsights(config, trending, logger, registry) : null;
  // Live trending needs the broker's subscribers, which this process does not hold.
  if (insights?.ticker) logger.warn('INSIGHTS_LIVE_INTERVAL_S is set but live trending is only published by `npm start`; the REST routes still answer');
  const consumer = await startConsumer(
    { source: link.source, stream: openPackStream(config), cache: openRecentCache(config), deadLetters: link.deadLetters, store, onStored: insights?.counter.onStored },
    consumerFrom(config),
    logger,
    registry,
  );
  // Who is online lives in Redis, written by every broker process: without REDIS_URL this
  // process cannot know, and every member but the sender counts as offline.
  const presence = config.AMQP_PUSH_ENABLED && config.REDIS_URL ? openPresence(config, registry, logger) : null;
  await presence?.start();
  // Push: the push queue on its own link (its own prefetch).
  const pushLink = config.AMQP_PUSH_ENABLED
    ? new AmqpConsumerLink({ url: config.AMQP_URL, topology: topologyFrom(config), prefetch: config.PUSH_PREFETCH, queue: config.AMQP_PUSH_QUEUE }, logger, registry)
    : null;
  const push = pushLink ? await startPushFromConfig(config, { source: pushLink.source, deadLetters: pushLink.deadLetters, store, presence }, logger, registry) : null;
  const http = await startConsumerHttp({ consumer, registry, logger, port: config.CONSUMER_PORT, host: config.CONSUMER_HOST });
  logger.info({ port: http.port }, `consumer running; health on http://127.0.0.1:${http.port}/healthz`);

  exitOnSignals(async () => {
    await consumer.close();
    await push?.close();
    await presence?.close();
    await insights?.close(Date.now() + 1_000);
    await trending?.close();
    await store.close();
    await http.close();
    logger.info('consumer drained');
  }, logger);
});
