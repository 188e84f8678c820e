/**
 * Broker wiring: HTTP + WebSocket on one port, the registry, router, sessions and the
 * offload. `startBroker` is what `main.ts`, the all-in-one process and the tests call.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { loadConfig, type Config } from '../shared/config';
import { createLogger, type Logger } from '../shared/logger';
import { exitOnSignals } from '../shared/process';
import { MessageIdGenerator, randomNodeId } from '../shared/message-id';
import { MemoryOffload } from '../shared/queue/memory-offload';
import type { Offload } from '../shared/queue/offload';
import { emptyHistory, type HistorySource } from '../shared/history/history';
import { compileRoomTemplate } from '../shared/rooms';
import { RecentRing } from '../shared/history/recent-ring';
import { healthRoutes } from './http/health';
import { matchRoute, sendError, type HttpRoute } from '../shared/http/router';
import { BrokerMetrics } from './broker-metrics';
import { DestinationRegistry } from './hub/destination-registry';
import { Router } from './hub/hub';
import { developmentAuthenticator, type Authenticator } from './session/authenticator';
import type { SessionContext } from './session/session';
import type { Subscription } from './session/subscription';
import { Connection, type TransportLimits } from './transport/connection';
import { OutputBatcher } from './transport/output-batcher';
import { chooseSubprotocol } from './transport/subprotocol';

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
  routes?: HttpRoute[];
  auth?: Authenticator;
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
  registry: DestinationRegistry<Subscription>;
  offload: Offload;
  nodeId: string;
  connections(): number;
  /** Drain: stop accepting, flush, close clients (1001), close the offload. */
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function startBroker(opts: BrokerOptions = {}): Promise<BrokerHandle> {
  const config = opts.config ?? loadConfig({ ...process.env, ...opts.env });
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, 'broker');
  const nodeId = config.NODE_ID ?? randomNodeId();
  const metrics = new BrokerMetrics(opts.registry, true);
  const registry = new DestinationRegistry<Subscription>();
  const offload = opts.offload ?? new MemoryOffload(config.OFFLOAD_MAX_PENDING);
  const rooms = compileRoomTemplate(config.ROOM_TEMPLATE);
  const ring = new RecentRing(config.RECENT_RING_SIZE);
  const ids = new MessageIdGenerator(nodeId);
  const router = new Router(registry, offload, ids, rooms, ring, metrics);
  const auth = opts.auth ?? developmentAuthenticator;
  metrics.gauges = {
    subscriptions: () => registry.subscriptions,
    destinations: () => registry.destinations,
    offloadDepth: () => offload.depth(),
  };

  const ctx: SessionContext = {
    limits: {
      maxSubscriptions: config.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxTransactions: config.MAX_TRANSACTIONS_PER_CONNECTION,
      maxFramesPerTransaction: config.MAX_FRAMES_PER_TRANSACTION,
      maxPendingPerSubscription: config.MAX_PENDING_PER_SUBSCRIPTION,
      defaultPrefetch: config.DEFAULT_PREFETCH,
      historyMax: config.HISTORY_MAX,
      androidDetect: config.ANDROID_DETECT,
      heartbeat: { serverSendMs: config.HEARTBEAT_SERVER_SEND_MS, serverRecvMs: config.HEARTBEAT_SERVER_RECV_MS, minMs: config.HEARTBEAT_MIN_MS },
    },
    registry,
    router,
    rooms,
    ring,
    history: opts.history ?? emptyHistory,
    auth,
    metrics,
    onInternalError: (err) => logger.error({ err }, 'internal error in session'),
  };
  const transport: TransportLimits = {
    preConnectMaxBytes: config.PRE_CONNECT_MAX_BYTES,
    sendBufferMaxBytes: config.SEND_BUFFER_MAX_BYTES,
    connectTimeoutMs: config.CONNECT_TIMEOUT_MS,
    closeGraceMs: config.CLOSE_GRACE_MS,
    binaryOutput: config.WS_OUTPUT === 'binary',
    compression: config.WS_COMPRESSION,
    frame: {
      maxFrameBytes: config.MAX_FRAME_BYTES,
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxHeaders: config.MAX_HEADERS,
      maxHeaderLineBytes: config.MAX_HEADER_LINE_BYTES,
    },
  };

  const batcher = new OutputBatcher();
  const connections = new Set<Connection>();
  let accepting = true;

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: config.WS_COMPRESSION,
    // Room above the STOMP frame limit so an oversized frame (up to twice the limit in
    // one WebSocket message) gets a STOMP ERROR from the parser; beyond that ws closes
    // with 1009 before buffering more.
    maxPayload: 2 * config.MAX_FRAME_BYTES + 64 * 1024,
    handleProtocols: (offered) => chooseSubprotocol(offered),
    clientTracking: false,
  });

  const routes: HttpRoute[] = [
    ...healthRoutes({
      registry: metrics.registry,
      ready: () => {
        const reasons: string[] = [];
        if (!accepting) reasons.push('shutting-down');
        if (!offload.isReady()) reasons.push(`offload-${offload.kind}-not-ready`);
        return { ready: reasons.length === 0, reasons };
      },
    }),
    ...(opts.routes ?? []),
  ];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!m) return sendError(res, 404, `no route for ${req.method} ${url.pathname}`);
    Promise.resolve(m.route.handler(req, res, m.params, url)).catch((err) => {
      logger.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    });
  });

  /** Refuse an upgrade with an HTTP status, a metric label and a reason in the body. */
  const reject = (socket: Duplex, status: number, code: string, reason: string) => {
    metrics.rejected(code);
    const body = JSON.stringify({ error: code, reason });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== config.WS_PATH) return reject(socket, 404, 'wrong-path', `the WebSocket endpoint is ${config.WS_PATH}`);
    if (!accepting) return reject(socket, 503, 'shutting-down', 'the broker is shutting down');
    if (connections.size >= config.MAX_CONNECTIONS) return reject(socket, 503, 'too-many-connections', `MAX_CONNECTIONS (${config.MAX_CONNECTIONS}) reached`);
    const remote = req.socket.remoteAddress ?? '';
    if (auth.mode === 'development' && !config.ALLOW_REMOTE_WITHOUT_AUTH && !LOOPBACK.has(remote)) {
      return reject(socket, 403, 'remote-without-auth', 'no authentication configured: only loopback clients are admitted (set ALLOW_REMOTE_WITHOUT_AUTH=true to override)');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(
        ws,
        ctx,
        { remoteAddress: remote, subprotocol: ws.protocol || null },
        transport,
        batcher,
        metrics,
        (c) => {
          connections.delete(c);
          metrics.openConnections = connections.size;
        },
      );
      connections.add(conn);
      metrics.connectionsOpened++;
      metrics.openConnections = connections.size;
    });
  });

  if (!opts.offload) await offload.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  const url = `ws://127.0.0.1:${port}${config.WS_PATH}`;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      logger.info({ connections: connections.size }, 'draining');
      server.close();
      for (const c of connections) c.goAway();
      const deadline = Date.now() + config.DRAIN_TIMEOUT_MS;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of connections) c.session.handleClose();
      await offload.close();
      wss.close();
      server.closeAllConnections?.();
      logger.info('drained');
    })());

  if (opts.handleSignals) exitOnSignals(close, logger);

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
    registry,
    offload,
    nodeId,
    connections: () => connections.size,
    close,
  };
}
