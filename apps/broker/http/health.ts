/** /healthz (process alive), /readyz (accepting and the offload can publish), /metrics. */
import type { Registry } from 'prom-client';
import { sendJson, type HttpRoute } from '../../shared/http/router';

export function healthRoutes(opts: { registry: Registry; ready: () => { ready: boolean; reasons: string[] } }): HttpRoute[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: (_req, res) => {
        const r = opts.ready();
        sendJson(res, r.ready ? 200 : 503, r.ready ? { status: 'ready' } : { status: 'not-ready', reasons: r.reasons });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const body = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(body);
      },
    },
  ];
}
