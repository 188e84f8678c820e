/**
 * The broker's HTTP surface on the port it shares with the WebSocket endpoint: health,
 * readiness, metrics and the routes other modules contribute. Upgrades go to `onUpgrade`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { matchRoute, sendError, type HttpRoute } from '../../shared/http/router';
import { healthRoutes } from './health';

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Reasons the process is not ready (empty: ready). */
  notReady: () => string[];
  routes: HttpRoute[];
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface HttpServerHandle {
  port: number;
  /** Stop listening; open keep-alive connections are ended by closeAll(). */
  close(): void;
  closeAll(): void;
}

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServerHandle> {
  const routes: HttpRoute[] = [
    ...healthRoutes({
      registry: o.registry,
      ready: () => {
        const reasons = o.notReady();
        return { ready: reasons.length === 0, reasons };
      },
    }),
    ...o.routes,
  ];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!m) return sendError(res, 404, `no route for ${req.method} ${url.pathname}`);
    Promise.resolve(m.route.handler(req, res, m.params, url)).catch((err) => {
      o.logger.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.on('upgrade', o.onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () => server.close(),
    closeAll: () => server.closeAllConnections?.(),
  };
}
