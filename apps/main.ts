/**
 * `npm start`: broker and consumer in one process (DESIGN.md "Embedded default"). With no
 * AMQP_URL / REDIS_URL / DATABASE_URL everything runs on embedded twins (in-process queue
 * and stream, PGlite under DATA_DIR); each variable switches one component to the real one.
 */
import { Registry } from 'prom-client';
import { summarizeConfig, type Config } from './shared/config';
import { exitOnSignals, loadConfigOrExit, runMain } from './shared/process';
import { createLogger, type Logger } from './shared/logger';
import { startPipeline } from './shared/pipeline/pipeline';
import { startBroker, type BrokerHandle } from './broker/broker';
import type { HttpRoute } from './broker/http/router';
import { demoRoutes } from './demo/routes';

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
    routes: [...pipeline.routes, ...extraRoutes],
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

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'stompbox');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const broker = await startAllInOne(config, logger, demoRoutes(undefined, { wsPath: config.WS_PATH, roomTemplate: config.ROOM_TEMPLATE }));
  exitOnSignals(broker.close, logger);
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `stompbox ready: connect STOMP over WebSocket to ${broker.url} — demo page at ${broker.httpUrl}/`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('apps/main.ts')) {
  runMain(main);
}
