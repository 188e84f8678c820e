/**
 * The consumer process (`npm run consumer`, issue 4 item 3): RabbitMQ persist queue → Redis
 * Stream → batched inserts into Postgres, plus the recent-N cache, with /healthz, /readyz and
 * /metrics on CONSUMER_PORT. Needs AMQP_URL (the in-process queue only exists inside the
 * all-in-one process); REDIS_URL and DATABASE_URL fall back to the embedded twins.
 * SIGTERM/SIGINT: stop consuming, write what is buffered (DRAIN_TIMEOUT_MS), exit 0.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, loadConfig, summarizeConfig, type Config } from '../shared/config';
import { createLogger } from '../shared/logger';
import { openMessageStore } from '../shared/pipeline/store';
import { consumerFrom, topologyFrom } from '../shared/pipeline/options';
import { streamFor } from '../shared/pipeline/pipeline';
import { AmqpConsumerLink } from './amqp-source';
import { startConsumer } from './consumer';
import { consumerRoutes, listenConsumerHttp } from './http';
import { RedisRecentCache } from './redis-recent-cache';
import { MemoryRecentCache } from './memory-recent-cache';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.LOG_LEVEL, 'consumer');
  if (!config.AMQP_URL) {
    logger.fatal('the consumer process needs AMQP_URL (RabbitMQ); without it `npm start` runs broker and consumer in one process');
    process.exit(2);
  }
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const store = await openMessageStore(config, logger, registry);
  const link = new AmqpConsumerLink({ url: config.AMQP_URL, topology: topologyFrom(config), prefetch: config.CONSUMER_PREFETCH }, logger, registry);
  const cache =
    config.RECENT_CACHE_SIZE === 0
      ? null
      : config.REDIS_URL
        ? new RedisRecentCache({ url: config.REDIS_URL, keyPrefix: config.RECENT_CACHE_PREFIX, size: config.RECENT_CACHE_SIZE, ttlSeconds: config.RECENT_CACHE_TTL_S })
        : new MemoryRecentCache(config.RECENT_CACHE_SIZE, 100_000);
  const consumer = await startConsumer(
    { source: link.source, stream: streamFor(config), cache, deadLetters: link.deadLetters, store },
    consumerFrom(config),
    logger,
    registry,
  );
  const { server, port } = await listenConsumerHttp(consumerRoutes(consumer, registry), config.CONSUMER_PORT, config.CONSUMER_HOST);
  logger.info({ port }, `consumer running; health on http://127.0.0.1:${port}/healthz`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining the consumer');
    try {
      await consumer.close();
      await store.close();
      server.close();
      logger.info('consumer drained; bye');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
