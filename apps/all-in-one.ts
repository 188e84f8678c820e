/**
 * Broker and consumer in one process (DESIGN.md "Embedded default"): the pipeline chosen
 * by AMQP_URL / REDIS_URL / DATABASE_URL (embedded twins when unset), then the broker on top.
 */
import { Registry } from 'prom-client';
import type { Config } from './shared/config';
import type { Logger } from './shared/logger';
import { startPipeline } from './shared/pipeline/pipeline';
import { startBroker, type BrokerHandle } from './broker/broker';
import type { HttpRoute } from './broker/http/router';
import { historyRoutes, roomRoutes, type MessageStore } from './shared/db/index';

/**
 * The REST API the store serves (DESIGN.md "broker"): history pages, and rooms, members
 * and device tokens (loopback only until authentication exists).
 */
export function storeRoutes(store: MessageStore): HttpRoute[] {
  return [...historyRoutes(store), ...roomRoutes(store)];
}

/** Start pipeline then broker; returns a handle whose close() drains both in order. */
export async function startAllInOne(config: Config, logger: Logger, extraRoutes: HttpRoute[] = []): Promise<BrokerHandle> {
  const registry = new Registry();
  const pipeline = await startPipeline({ config, logger, registry });
  const broker = await startBroker({
    config,
    logger,
    registry,
    offload: pipeline.offload,
    history: pipeline.history,
    routes: [...pipeline.routes, ...storeRoutes(pipeline.store), ...extraRoutes],
  });
  const closeBroker = broker.close;
  let closing: Promise<void> | null = null;
  broker.close = () =>
    (closing ??= (async () => {
      await closeBroker(); // stops accepting, closes clients, closes the offload
      await pipeline.close(); // drains queue and stream into the database
    })());
  return broker;
}

