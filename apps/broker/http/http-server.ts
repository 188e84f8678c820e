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
  /** Development mode (no authentication) without ALLOW_REMOTE_WITHOUT_AUTH: data routes serve loopback peers only. */
  dataLoopbackOnly: boolean;
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
  app.register(healthPlugin({ registry: o.registry, notReady: o.notReady }));
  // One encapsulated scope: its onRequest hook covers exactly the data routes registered in it.
  app.register(async (data) => {
    if (o.dataLoopbackOnly) data.addHook('onRequest', loopbackOnly);
    for (const plugin of o.routes.data ?? []) await data.register(plugin);
  });
  for (const plugin of o.routes.public ?? []) app.register(plugin);
  return app;
}

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
