/**
 * The broker's HTTP surface on the port it shares with the WebSocket endpoint: health,
 * readiness and metrics, the OpenAPI document and docs page, and the routes other modules
 * contribute. Upgrades go to `onUpgrade` (the `ws` endpoint), not through fastify.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { createHttpServer, type HttpApp, type HttpPlugin } from '../../shared/http/create-http-server';
import { healthPlugin } from '../../shared/http/health-plugin';
import { HttpError } from '../../shared/http/http-errors';
import { refusalFor, type OriginRules } from '../request-origin';
import { loopbackOnly } from './loopback-only';

/** What a process mounts on the broker's port. */
export interface BrokerRoutes {
  /** REST data routes (rooms, members, devices, history, dead letters): behind the access rule. */
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
}

export interface HttpServerOptions extends BrokerHttpOptions {
  host: string;
  port: number;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface HttpServerHandle {
  port: number;
  /** Stop listening; open keep-alive connections are ended by closeAll(). */
  close(): void;
  closeAll(): void;
}

/** The broker's fastify instance, not yet listening (tests inject requests into it). */
export function buildBrokerHttp(o: BrokerHttpOptions): HttpApp {
  const app = createHttpServer({
    logger: o.logger,
    openapi: { title: 'stompbox broker', version: '1', description: 'REST and operations endpoints of the STOMP-over-WebSocket broker' },
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
  app.register(healthPlugin({ registry: o.registry, notReady: o.notReady }));
  app.register(async (data) => {
    for (const plugin of o.routes.data ?? []) await data.register(plugin);
  });
  for (const plugin of o.routes.public ?? []) app.register(plugin);
  return app;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const isProbe = (url: string) => /^\/(healthz|readyz)(\?|$)/.test(url);

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServerHandle> {
  const app = buildBrokerHttp(o);
  app.server.on('upgrade', o.onUpgrade);
  await app.listen({ port: o.port, host: o.host });
  const addr = app.server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    // fastify's close() stops listening and resolves once every connection has ended
    // (upgraded WebSockets included), so it is not awaited here: the broker drains those.
    close: () => void app.close().catch((err: unknown) => o.logger.warn({ err }, 'http server close failed')),
    closeAll: () => app.server.closeAllConnections(),
  };
}
