/**
 * The broker process on its own (`npm run broker`): it routes, and with AMQP_URL hands
 * every SEND to RabbitMQ for the separate consumer process (`npm run consumer`) to
 * persist and push; history comes from the Redis recent cache (REDIS_URL) and the
 * database. Without AMQP_URL it routes with the counting in-process offload only (nothing
 * is persisted; that is what `npm start` is for) — the setting bench:core measures.
 */
import { Registry } from 'prom-client';
import { summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { exitOnSignals, loadConfigOrExit, runMain } from '../shared/process';
import { demoRoutes } from '../demo/routes';
import { startBroker } from './broker';
import { openBrokerBackends } from './broker-backends';
import { storeRoutes } from './http/store-routes';

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'broker');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const registry = new Registry();
  const side = config.AMQP_URL ? await openBrokerBackends({ config, logger, registry }) : null;
  if (!side) logger.warn('AMQP_URL is not set: messages are routed but NOT persisted (run `npm start` for broker + consumer in one process)');
  const routes = {
    data: side ? [storeRoutes(side.store)] : [],
    public: [demoRoutes(undefined, { wsPath: config.WS_PATH, roomTemplate: config.ROOM_TEMPLATE })],
  };
  const broker = await startBroker({ config, logger, registry, offload: side?.offload, history: side?.history, routes });
  exitOnSignals(async () => {
    await broker.close(); // stops accepting, closes clients, then the offload after its confirms
    await side?.close();
  }, logger);
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `broker listening: connect STOMP over WebSocket to ${broker.url}`);
});
