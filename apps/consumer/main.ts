/**
 * The consumer process (`npm run consumer`): RabbitMQ persist queue → Redis
 * Stream → batched inserts into Postgres, plus the recent-N cache, with /healthz, /readyz and
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
  const consumer = await startConsumer(
    { source: link.source, stream: openPackStream(config), cache: openRecentCache(config), deadLetters: link.deadLetters, store },
    consumerFrom(config),
    logger,
    registry,
  );
  const http = await startConsumerHttp({ consumer, registry, logger, port: config.CONSUMER_PORT, host: config.CONSUMER_HOST });
  logger.info({ port: http.port }, `consumer running; health on http://127.0.0.1:${http.port}/healthz`);

  exitOnSignals(async () => {
    await consumer.close();
    await store.close();
    await http.close();
    logger.info('consumer drained');
  }, logger);
});
