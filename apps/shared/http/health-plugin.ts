/**
 * /healthz (the process is up), /readyz (it can do its work; 503 with the reasons
 * otherwise) and /metrics (Prometheus), the same for the broker and the consumer. Open to
 * callers without credentials (load balancers, Prometheus).
 */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { HttpPlugin } from './create-http-server';

export interface HealthOptions {
  registry: Registry;
  /** Reasons the process is not ready; empty when it is. */
  notReady(): string[];
  /** Extra state both /healthz and /readyz report (the consumer's pipeline status). */
  status?(): object;
}

const Health = z.looseObject({ status: z.literal('ok') }).describe('The process is up, with its state');
const Readiness = z
  .looseObject({
    status: z.enum(['ready', 'not-ready']),
    reasons: z.array(z.string()).describe('Why the process is not ready (empty when ready)'),
  })
  .describe('Whether the process can do its work');

export function healthPlugin(o: HealthOptions): HttpPlugin {
  return async (app) => {
    app.get('/healthz', { schema: { summary: 'Liveness: the process is up', tags: ['operations'], security: [], response: { 200: Health } } }, async () => ({
      ...o.status?.(),
      status: 'ok' as const,
    }));

    app.get(
      '/readyz',
      { schema: { summary: 'Readiness: 200 when ready, 503 with the reasons when not', tags: ['operations'], security: [], response: { 200: Readiness, 503: Readiness } } },
      async (_req, reply) => {
        const reasons = o.notReady();
        reply.code(reasons.length === 0 ? 200 : 503);
        return { ...o.status?.(), status: reasons.length === 0 ? ('ready' as const) : ('not-ready' as const), reasons };
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['operations'],
          security: [],
          response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      async (_req, reply) => {
        const body = await o.registry.metrics();
        return reply.type(o.registry.contentType).send(body);
      },
    );
  };
}
