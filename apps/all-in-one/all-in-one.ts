/**
 * Broker and consumer in one process (the embedded default): the pipeline chosen by
 * AMQP_URL / REDIS_URL / DATABASE_URL (embedded twins when unset), then the broker on top.
 */
import { Registry } from 'prom-client';
import { startBroker, type BrokerHandle } from '../broker/broker';
import { deadLettersRoute } from '../broker/http/dead-letters-route';
import type { HttpPlugin } from '../shared/http/create-http-server';
import { storeRoutes } from '../broker/http/store-routes';
import { closeOnce } from '../shared/close-once';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { startPipeline } from './pipeline';

/** Start pipeline then broker; returns a handle whose close() drains both in order. */
export async function startAllInOne(config: Config, logger: Logger, publicRoutes: HttpPlugin[] = []): Promise<BrokerHandle> {
  const registry = new Registry();
  const pipeline = await startPipeline({ config, logger, registry });
  const broker = await startBroker({
    config,
    logger,
    registry,
    offload: pipeline.offload,
    history: pipeline.history,
    routes: {
      data: [...(pipeline.deadLetters ? [deadLettersRoute(pipeline.deadLetters)] : []), storeRoutes(pipeline.store)],
      public: publicRoutes,
    },
  });
  const closeBroker = broker.close;
  broker.close = closeOnce(async () => {
    await closeBroker(); // stops accepting, closes clients, closes the offload
    await pipeline.close(); // drains queue and stream into the database
  });
  return broker;
}
