/**
 * Broker wiring: HTTP + WebSocket on one port, the registry, router, sessions and the
 * offload. `startBroker` is what `main.ts`, the all-in-one process and the tests call.
 */
import type { Registry } from 'prom-client';
import { closeOnce } from '../shared/close-once';
import { loadConfig, type Config } from '../shared/config';
import { createLogger, type Logger } from '../shared/logger';
import { exitOnSignals } from '../shared/process';
import { MessageIdGenerator, randomNodeId } from '../shared/message-id';
import { MemoryOffload } from '../shared/queue/memory-offload';
import type { Offload } from '../shared/queue/offload';
import { emptyHistory, type HistorySource } from '../shared/history/history';
import { compileRoomTemplate } from '../shared/rooms';
import { RecentRing } from '../shared/history/recent-ring';
import { httpAuthFor } from './http/http-auth';
import { startHttpServer, type BrokerRoutes } from './http/http-server';
import { BrokerMetrics } from './broker-metrics';
import type { AccessPolicy } from './hub/access-policy';
import type { DestinationHooks } from './hub/destination-hooks';
import type { Relay } from './hub/relay';
import { accessFromConfig } from './access/access-from-config';
import type { MembershipLookup } from './access/membership-cache';
import type { MembershipEvents } from '../shared/membership/membership-events';
import type { Presence } from '../shared/presence/presence';
import type { BrokerCluster } from './cluster/broker-cluster';
import { Hub } from './hub/hub';
import type { Authenticator } from './session/authenticator';
import { authenticatorFromConfig, describeAuth } from './session/authenticator-from-config';
import type { SessionContext } from './session/session';
import type { TransportLimits } from './transport/connection';
import { WsEndpoint } from './transport/ws-endpoint';
import { connectionCapacity } from '../shared/open-files';

export interface BrokerOptions {
  /** Environment-style overrides on top of process.env (tests pass PORT '0' etc.). */
  env?: Record<string, string | undefined>;
  /** Use this config as is (env is then ignored). */
  config?: Config;
  /** Started by its creator; the broker closes it on shutdown. Default: a MemoryOffload. */
  offload?: Offload;
  history?: HistorySource;
  /** prom-client registry for /metrics (shared with the pipeline in one process). */
  registry?: Registry;
  /** HTTP routes as fastify plugins: `data` behind development mode's loopback rule, `public` not. */
  routes?: BrokerRoutes;
  auth?: Authenticator;
  /** Checked before every SUBSCRIBE and SEND; default: the configured rules (access/access-from-config.ts). */
  access?: AccessPolicy;
  /** Where room membership is looked up (the store) for the configured access rules. */
  members?: MembershipLookup;
  /** Membership changes from every process: drop cached access answers. */
  membershipEvents?: MembershipEvents;
  /** Told of every connection that completes CONNECT, and of its end. */
  presence?: Presence;
  /** Called on a destination's first local subscriber and after its last. */
  hooks?: DestinationHooks;
  /** Other broker nodes (the cluster): every accepted SEND is handed to it. */
  relay?: Relay;
  /**
   * This node's link to the other nodes (cluster/): supplies hooks and relay (unless given),
   * receives the hub, holds /readyz until its bindings are in place, closed after the drain.
   */
  cluster?: BrokerCluster;
  logger?: Logger;
  /** Install SIGTERM/SIGINT handlers that drain and exit (main only). */
  handleSignals?: boolean;
}

export interface BrokerHandle {
  port: number;
  /** ws://127.0.0.1:<port><WS_PATH> */
  url: string;
  httpUrl: string;
  config: Config;
  metrics: BrokerMetrics;
  hub: Hub;
  offload: Offload;
  nodeId: string;
  connections(): number;
  /** Upgrades past this many open connections are refused with 503. */
  maxConnections: number;
  /** Drain: stop accepting, flush, close clients (1001), close the offload. */
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions = {}): Promise<BrokerHandle> {
  const config = opts.config ?? loadConfig({ ...process.env, ...opts.env });
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, 'broker');
  const nodeId = opts.cluster?.nodeId ?? config.NODE_ID ?? randomNodeId();
  const metrics = new BrokerMetrics(opts.registry, true);
  const offload = opts.offload ?? new MemoryOffload(config.OFFLOAD_MAX_PENDING);
  const auth = opts.auth ?? authenticatorFromConfig(config);
  const configured = opts.access ? null : accessFromConfig(config, auth.mode, { members: opts.members, events: opts.membershipEvents, registry: metrics.registry });
  const ring = new RecentRing({ perRoom: config.RECENT_RING_SIZE, maxRooms: config.RECENT_RING_MAX_ROOMS, maxBytes: config.RECENT_RING_MAX_BYTES });
  const hub = new Hub({
    ids: new MessageIdGenerator(nodeId),
    offload,
    rooms: compileRoomTemplate(config.ROOM_TEMPLATE),
    ring,
    history: opts.history ?? emptyHistory,
    access: opts.access ?? configured!.policy,
    hooks: opts.hooks ?? opts.cluster?.hooks,
    relay: opts.relay ?? opts.cluster?.relay,
    onHookError: (destination, err) => logger.warn({ err, destination }, 'last-unsubscribe hook failed; the destination may stay bound'),
  });
  opts.cluster?.attach(hub);

  const ctx: SessionContext = {
    limits: {
      maxSubscriptions: config.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxTransactions: config.MAX_TRANSACTIONS_PER_CONNECTION,
      maxFramesPerTransaction: config.MAX_FRAMES_PER_TRANSACTION,
      maxPendingPerSubscription: config.MAX_PENDING_PER_SUBSCRIPTION,
      maxPendingFrames: config.MAX_PENDING_FRAMES_PER_CONNECTION,
      maxHeldBytes: config.MAX_HELD_BYTES_PER_CONNECTION,
      maxTransactionBytes: config.MAX_TRANSACTION_BYTES_PER_CONNECTION,
      defaultPrefetch: config.DEFAULT_PREFETCH,
      historyMax: config.HISTORY_MAX,
      androidDetect: config.ANDROID_DETECT,
      sendRatePerS: config.SEND_RATE_PER_S,
      sendBurst: config.SEND_BURST,
      heartbeat: { serverSendMs: config.HEARTBEAT_SERVER_SEND_MS, serverRecvMs: config.HEARTBEAT_SERVER_RECV_MS, minMs: config.HEARTBEAT_MIN_MS },
    },
    hub,
    auth,
    metrics,
    presence: opts.presence,
    onInternalError: (err) => logger.error({ err }, 'internal error in session'),
  };
  const transport: TransportLimits = {
    preConnectMaxBytes: config.PRE_CONNECT_MAX_BYTES,
    sendBufferMaxBytes: config.SEND_BUFFER_MAX_BYTES,
    connectTimeoutMs: config.CONNECT_TIMEOUT_MS,
    closeGraceMs: config.CLOSE_GRACE_MS,
    binaryOutput: config.WS_OUTPUT === 'binary',
    compression: config.WS_COMPRESSION,
    framesPerTurn: config.INPUT_FRAMES_PER_TURN,
    frameTimeoutMs: config.FRAME_TIMEOUT_MS,
    frame: {
      maxFrameBytes: config.MAX_FRAME_BYTES,
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxHeaders: config.MAX_HEADERS,
      maxHeaderLineBytes: config.MAX_HEADER_LINE_BYTES,
    },
  };

  // Refuse upgrades with 503 before the open-file limit makes accept() fail with EMFILE.
  const capacity = connectionCapacity();
  const maxConnections = config.MAX_CONNECTIONS ?? capacity ?? 100_000;
  if (config.MAX_CONNECTIONS !== undefined && capacity !== null && config.MAX_CONNECTIONS > capacity) {
    logger.warn({ maxConnections: config.MAX_CONNECTIONS, capacity }, 'MAX_CONNECTIONS is above what the open-file limit allows: connections past the limit will be reset, not refused');
  }
  // Clients prove who they are with a token in JWT mode, so they may come from anywhere: on the
  // WebSocket, and on the REST API, which checks the same tokens (http/api-guard.ts).
  const loopbackOnly = auth.mode === 'development' && !config.ALLOW_REMOTE_WITHOUT_AUTH;
  const origins = { allowedOrigins: new Set(config.ALLOWED_ORIGINS), loopbackHostOnly: loopbackOnly };
  const endpoint = new WsEndpoint(
    {
      path: config.WS_PATH,
      maxConnections,
      // Room above the STOMP frame limit so an oversized frame (up to twice the limit in
      // one WebSocket message) gets a STOMP ERROR from the parser; beyond that ws closes
      // with 1009 before buffering more.
      maxPayload: 2 * config.MAX_FRAME_BYTES + 64 * 1024,
      compression: config.WS_COMPRESSION,
      loopbackOnly,
      origins,
      transport,
      budget: { maxBytes: config.BUFFER_BUDGET_BYTES, checkMs: 100, stallMs: config.BUFFER_BUDGET_STALL_MS },
    },
    ctx,
    metrics,
  );

  const budget = endpoint.budget;
  metrics.gauges = {
    subscriptions: () => hub.subscriptions,
    destinations: () => hub.destinations,
    offloadDepth: () => offload.depth(),
    ringBytes: () => ring.bytes,
    ringEvictions: () => ring.evictions,
    bufferedBytes: () => budget.bytes,
    inputPaused: () => (budget.paused ? 1 : 0),
    inputPauses: () => budget.pauses,
    budgetEvictions: () => budget.evictions,
  };

  if (!opts.offload) await offload.start();
  const http = await startHttpServer({
    host: config.HOST,
    port: config.PORT,
    registry: metrics.registry,
    logger,
    notReady: () => {
      const reasons: string[] = [];
      if (!endpoint.isAccepting) reasons.push('shutting-down');
      if (!offload.isReady()) reasons.push(`offload-${offload.kind}-not-ready`);
      const cluster = opts.cluster?.notReady();
      if (cluster) reasons.push(cluster);
      return reasons;
    },
    routes: opts.routes ?? {},
    loopbackOnly,
    origins,
    auth: httpAuthFor(auth),
    rateLimit: { max: config.API_RATE_LIMIT_MAX, windowMs: config.API_RATE_LIMIT_WINDOW_MS, maxKeys: config.API_RATE_LIMIT_MAX_KEYS },
    metricsListener: config.METRICS_PORT === undefined ? undefined : { host: config.METRICS_HOST ?? config.HOST, port: config.METRICS_PORT },
    onUpgrade: endpoint.handleUpgrade,
  });
  if (config.METRICS_HOST !== undefined && config.METRICS_PORT === undefined) {
    logger.warn('METRICS_HOST is set without METRICS_PORT: /healthz, /readyz and /metrics stay on the main port');
  }
  const port = http.port;
  const url = `ws://127.0.0.1:${port}${config.WS_PATH}`;

  const close = closeOnce(async () => {
    logger.info({ connections: endpoint.connections }, 'draining');
    http.close();
    await endpoint.drain(Date.now() + config.DRAIN_TIMEOUT_MS);
    configured?.close();
    await opts.cluster?.close();
    await offload.close();
    http.closeAll();
    logger.info('drained');
  });

  if (opts.handleSignals) exitOnSignals(close, logger);

  if (auth.mode === 'jwt') {
    logger.info(
      opts.auth ? { auth: 'jwt' } : describeAuth(config),
      'JWT authentication on CONNECT and on the REST API: clients with a valid token are admitted from anywhere',
    );
  }
  if (auth.mode === 'development') {
    logger.warn(
      config.ALLOW_REMOTE_WITHOUT_AUTH
        ? 'no authentication configured and ALLOW_REMOTE_WITHOUT_AUTH=true: anyone who can reach this port can connect'
        : 'no authentication configured: development mode, only loopback clients are admitted; the sender is the CONNECT login',
    );
  }

  return {
    port,
    url,
    httpUrl: `http://127.0.0.1:${port}`,
    config,
    metrics,
    hub,
    offload,
    nodeId,
    connections: () => endpoint.connections,
    maxConnections,
    close,
  };
}
