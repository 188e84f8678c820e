/**
 * The broker process on its own (`npm run broker`): it routes, and with AMQP_URL hands
 * every SEND to RabbitMQ for the separate consumer process (`npm run consumer`) to
 * persist and push; history comes from the Redis recent cache (REDIS_URL) and the
 * database. Without AMQP_URL it routes with the counting in-process offload only (nothing
 * is persisted; that is what `npm start` is for) — the setting bench:core measures.
 * With AMQP_URL the broker is a cluster node (rooms span every broker on the same RabbitMQ),
 * and BROKER_PROCESSES=N runs N such nodes on one port.
 */
import { Registry } from 'prom-client';
import { summarizeConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { exitOnSignals, loadConfigOrExit, runMain } from '../shared/process';
import { demoRoutes } from '../demo/routes';
import { startBroker } from './broker';
import { openBrokerBackends } from './broker-backends';
import { restApi } from './http/rest-api';
import { trendingRoutes } from './http/trending-routes';
import { roomReaders } from './http/room-access';
import { openTrendingStore } from '../shared/insights/open-trending-store';
import { randomNodeId } from '../shared/message-id';
import { clusterFromConfig } from './cluster/cluster-from-config';
import { processesRefusal, superviseProcesses, workerNodeId } from './cluster/processes';
import { roomAccessRule } from './access/access-from-config';
import { authModeOf } from './session/authenticator-from-config';
import { demoTokenRoutes, hubSender, openIdentity } from './identity';
import type { Hub } from './hub/hub';
import { openSqlStore } from '../shared/store/sql-store';
import { openStoreWith } from '../shared/store/store-opener';

runMain(async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL, 'broker');
  logger.info({ config: summarizeConfig(config) }, 'configuration');
  const refusal = processesRefusal(config);
  if (refusal) {
    console.error(refusal);
    process.exit(2);
  }
  if (superviseProcesses(config, logger)) return;
  const registry = new Registry();
  const side = config.AMQP_URL ? await openBrokerBackends({ config, logger, registry }) : null;
  if (!side) logger.warn('AMQP_URL is not set: messages are routed but NOT persisted (run `npm start` for broker + consumer in one process)');
  // Rooms for members only need the database even when nothing is persisted from here.
  const ownStore = !side && roomAccessRule(config, authModeOf(config)) === 'members' ? await openStoreWith(openSqlStore, config, logger, registry) : null;
  const store = side?.store ?? ownStore ?? undefined;
  const identity = await openIdentity(config, logger, registry);
  let hub: Hub | null = null;
  const trending = config.REDIS_URL && config.INSIGHTS_ENABLED ? openTrendingStore(config) : null;
  const routes = {
    data: [
      ...restApi(config, { store, presence: identity.presence, membershipEvents: identity.membershipEvents, sendToUser: hubSender(() => hub) }),
      // The consumer counts into Redis; a room's words follow its messages' rule (members and admins).
      ...(trending ? [trendingRoutes(trending, { authorize: roomReaders(store) })] : []),
    ],
    public: [
      demoRoutes(undefined, { wsPath: config.WS_PATH, roomTemplate: config.ROOM_TEMPLATE, auth: config.DEMO_TOKENS ? 'token' : 'login' }),
      ...demoTokenRoutes(config, store, identity.membershipEvents),
    ],
  };
  const cluster = clusterFromConfig(config, workerNodeId(config) ?? randomNodeId(), logger, registry);
  await cluster?.start();
  const broker = await startBroker({
    config,
    logger,
    registry,
    offload: side?.offload,
    history: side?.history,
    routes,
    cluster: cluster ?? undefined,
    members: store,
    membershipEvents: identity.membershipEvents,
    presence: identity.presence,
  });
  hub = broker.hub;
  exitOnSignals(async () => {
    await broker.close(); // stops accepting, closes clients, then the offload after its confirms
    await side?.close();
    await ownStore?.close();
    await trending?.close();
    await identity.close();
  }, logger);
  logger.info({ url: broker.url, http: broker.httpUrl, nodeId: broker.nodeId }, `broker listening: connect STOMP over WebSocket to ${broker.url}`);
});
