/**
 * The standalone consumer's own small HTTP server (issue 4 item 3: "/healthz and /metrics
 * like the broker"). The routes are also exported so an all-in-one process can mount them.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { matchRoute, sendError, sendJson, type HttpRoute } from '../shared/http/router';
import type { Consumer } from './consumer';

export function consumerRoutes(consumer: Consumer, registry: Registry): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handler: (_req, res) => sendJson(res, 200, { status: 'ok', ...consumer.status() }),
    },
    {
      method: 'GET',
      path: '/readyz',
      handler: (_req, res) => {
        const s = consumer.status();
        const ready = s.source.ready && s.stream.ready;
        sendJson(res, ready ? 200 : 503, { ready, ...s });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      },
    },
  ];
}

export async function listenConsumerHttp(routes: HttpRoute[], port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const hit = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!hit) return sendError(res, 404, 'not found');
    Promise.resolve(hit.route.handler(req, res, hit.params, url)).catch((err) => {
      if (!res.headersSent) sendError(res, 500, (err as Error).message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}
