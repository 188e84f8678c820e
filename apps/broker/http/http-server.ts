/**
 * The broker's HTTP surface on the port it shares with the WebSocket endpoint: health,
 * readiness and metrics (or those on a listener of their own), the OpenAPI document and docs
 * page, and the routes other modules contribute: data routes behind the API guard (caller,
 * rate limit), public ones not. Upgrades go to `onUpgrade` (the `ws` endpoint), not through fastify.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { createHttpServer, type HttpApp, type HttpPlugin } from '../../shared/http/create-http-server';
import { healthPlugin } from '../../shared/http/health-plugin';
import { HttpError } from '../../shared/http/http-errors';
import { refusalFor, type OriginRules } from '../request-origin';
import { guardApi, type ApiRateLimit } from './api-guard';
import { developmentHttpAuth, type HttpAuth } from './http-auth';
import { loopbackOnly } from './loopback-only';
import { meRoute } from './me-route';

/** What a process mounts on the broker's port. */
export interface BrokerRoutes {
  /** REST data routes (rooms, members, devices, history, dead letters): behind the access rule and the API guard. */
  data?: HttpPlugin[];
  /** Routes anyone may reach (the demo page). */
  public?: HttpPlugin[];
}

export interface BrokerHttpOptions {
  registry: Registry;
  logger: Logger;
  /** Reasons the process is not ready (empty: ready). */
  notReady: () => string[];
  routes: BrokerRoutes;
  /**
   * Development mode (no authentication) without ALLOW_REMOTE_WITHOUT_AUTH: every route but the
   * health probes serves loopback peers only.
   */
  loopbackOnly: boolean;
  /** Origin and Host rules; none given: same origin only, and loopback Host names in loopback-only mode. */
  origins?: OriginRules;
  /** How data-route callers are identified. Default: development mode's `x-user`. */
  auth?: HttpAuth;
  /** Requests per caller on the data routes; absent: unlimited. */
  rateLimit?: ApiRateLimit;
  /** /healthz, /readyz and /metrics are served by a listener of their own: not on this one. */
  probesElsewhere?: boolean;
}

export interface HttpServerOptions extends Omit<BrokerHttpOptions, 'probesElsewhere'> {
  host: string;
  port: number;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Serve /healthz, /readyz and /metrics here instead (METRICS_HOST / METRICS_PORT). */
  metricsListener?: { host: string; port: number };
}

export interface HttpServerHandle {
  port: number;
  /** The port of the metrics listener, when there is one. */
  metricsPort: number | null;
  /** Stop listening; open keep-alive connections are ended by closeAll(). */
  close(): void;
  closeAll(): void;
}

/** The broker's fastify instance, not yet listening (tests inject requests into it). */
export function buildBrokerHttp(o: BrokerHttpOptions): HttpApp {
  const auth = o.auth ?? developmentHttpAuth;
  const app = createHttpServer({
    logger: o.logger,
    openapi: {
      title: 'stompbox broker',
      version: '1',
      description: 'REST and operations endpoints of the STOMP-over-WebSocket broker',
      auth: auth.mode === 'jwt' ? 'bearer' : 'development-user',
    },
  });
  const origins = o.origins ?? { allowedOrigins: new Set<string>(), loopbackHostOnly: o.loopbackOnly };
  app.addHook('onRequest', async (request) => {
    // Probes stay reachable (a load balancer checks them from elsewhere).
    if (isProbe(request.url)) return;
    if (o.loopbackOnly) await loopbackOnly(request);
    // Host always (DNS rebinding); Origin only where a request changes state: a cross-site
    // page cannot read GET answers anyway (no CORS headers), but it could post.
    const origin = SAFE_METHODS.has(request.method) ? undefined : request.headers.origin;
    const refused = refusalFor({ host: request.headers.host, origin }, origins);
    if (refused) throw new HttpError(403, refused.reason);
  });
  if (!o.probesElsewhere) app.register(healthPlugin({ registry: o.registry, notReady: o.notReady }));
  app.register(async (data) => {
    await guardApi(data, auth, o.rateLimit);
    await data.register(meRoute(auth.mode));
    for (const plugin of o.routes.data ?? []) await data.register(plugin);
  });
  for (const plugin of o.routes.public ?? []) app.register(plugin);
  return app;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const isProbe = (url: string) => /^\/(healthz|readyz)(\?|$)/.test(url);

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServerHandle> {
  const app = buildBrokerHttp({ ...o, probesElsewhere: o.metricsListener !== undefined });
  app.server.on('upgrade', o.onUpgrade);
  const probes = o.metricsListener ? createHttpServer({ logger: o.logger }) : null;
  probes?.register(healthPlugin({ registry: o.registry, notReady: o.notReady }));
  try {
    await app.listen({ port: o.port, host: o.host });
    if (probes && o.metricsListener) await probes.listen({ port: o.metricsListener.port, host: o.metricsListener.host });
  } catch (err) {
    await Promise.all([app.close(), probes?.close()]);
    throw err;
  }
  const warn = (err: unknown) => o.logger.warn({ err }, 'http server close failed');
  return {
    port: portOf(app, o.port),
    metricsPort: probes && o.metricsListener ? portOf(probes, o.metricsListener.port) : null,
    // fastify's close() stops listening and resolves once every connection has ended
    // (upgraded WebSockets included), so it is not awaited here: the broker drains those.
    // The probes listener stays up until then, so /readyz can say the broker is shutting down.
    close: () => void app.close().catch(warn),
    closeAll: () => {
      app.server.closeAllConnections();
      void probes?.close().catch(warn);
    },
  };
}

function portOf(app: HttpApp, fallback: number): number {
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : fallback;
}
