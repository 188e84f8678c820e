/**
 * Broker and consumer in one process (the embedded default): the pipeline chosen by
 * AMQP_URL / REDIS_URL / DATABASE_URL (embedded twins when unset), then the broker on top.
 * With AMQP_URL the broker is also a cluster node (rooms span every broker on that RabbitMQ).
 */
import { Registry } from 'prom-client';
import { startBroker, type BrokerHandle } from '../broker/broker';
import type { HttpPlugin } from '../shared/http/create-http-server';
import { restApi } from '../broker/http/rest-api';
import { closeOnce } from '../shared/close-once';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { startPipeline } from './pipeline';
import { demoTokenRoutes, hubSender, openIdentity } from '../broker/identity';
import type { Hub } from '../broker/hub/hub';
import { trendingRoutes } from '../broker/http/trending-routes';
import { roomReaders } from '../broker/http/room-access';
import { Publication } from '../broker/hub/publication';
import type { TrendingPublisher } from '../consumer/insights/trending-publisher';
import { compileRoomTemplate } from '../shared/rooms';
import { MessageIdGenerator } from '../shared/message-id';
import { clusterFromConfig } from '../broker/cluster/cluster-from-config';
import { workerNodeId } from '../broker/cluster/processes';
import { randomNodeId } from '../shared/message-id';

/** Start pipeline then broker; returns a handle whose close() drains both in order. */
export async function startAllInOne(config: Config, logger: Logger, publicRoutes: HttpPlugin[] = []): Promise<BrokerHandle> {
  const registry = new Registry();
  // Presence is shared with the pipeline: the push consumer skips whoever this broker has online.
  const identity = await openIdentity(config, logger, registry);
  const pipeline = await startPipeline({ config, logger, registry, presence: identity.presence });
  let hub: Hub | null = null;
  const cluster = clusterFromConfig(config, workerNodeId(config) ?? randomNodeId(), logger, registry);
  await cluster?.start();
  const broker = await startBroker({
    config,
    logger,
    registry,
    offload: pipeline.offload,
    history: pipeline.history,
    cluster: cluster ?? undefined,
    members: pipeline.store,
    membershipEvents: identity.membershipEvents,
    presence: identity.presence,
    routes: {
      data: [
        ...restApi(config, {
          store: pipeline.store,
          deadLetters: pipeline.deadLetters,
          presence: identity.presence,
          membershipEvents: identity.membershipEvents,
          sendToUser: hubSender(() => hub),
        }),
        // Trending words of a room: the room's messages rule (members and admins).
        ...(pipeline.trending ? [trendingRoutes(pipeline.trending, { authorize: roomReaders(pipeline.store) })] : []),
      ],
      public: [...publicRoutes, ...demoTokenRoutes(config, pipeline.store, identity.membershipEvents)],
    },
  });
  hub = broker.hub;
  pipeline.trendingTicker?.attach(localTrendingPublisher(broker, config));
  const closeBroker = broker.close;
  broker.close = closeOnce(async () => {
    await closeBroker(); // stops accepting, closes clients, closes the offload
    await pipeline.close(); // drains queue and stream into the database
    await identity.close();
  });
  return broker;
}

/**
 * Live trending words to this broker's subscribers of `<room destination>.trending` (local
 * delivery: not persisted, not relayed to other nodes).
 */
function localTrendingPublisher(broker: BrokerHandle, config: Config): TrendingPublisher {
  const rooms = compileRoomTemplate(config.ROOM_TEMPLATE);
  const ids = new MessageIdGenerator('trending');
  return {
    publish(snapshot) {
      broker.hub.deliverLocal(
        new Publication({
          id: ids.next(),
          destination: `${rooms.destinationOf(snapshot.roomId)}.trending`,
          roomId: null,
          senderId: 'stompbox',
          nodeId: broker.nodeId,
          sentAt: Date.now(),
          contentType: 'application/json',
          headers: {},
          body: Buffer.from(JSON.stringify(snapshot)),
        }),
      );
    },
  };
}
