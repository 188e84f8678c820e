/**
 * The standalone consumer's own HTTP server on CONSUMER_PORT: /healthz, /readyz and
 * /metrics, through the same plugin and error handling as the broker's.
 */
import type { Registry } from 'prom-client';
import { createHttpServer, type HttpApp } from '../shared/http/create-http-server';
import { healthPlugin } from '../shared/http/health-plugin';
import type { Logger } from '../shared/logger';
import type { Consumer, ConsumerStatus } from './consumer';

/** Why the consumer cannot persist right now (empty: ready). */
export function consumerNotReady(s: ConsumerStatus): string[] {
  const reasons: string[] = [];
  if (!s.source.ready) reasons.push(`source-${s.source.kind}-not-ready`);
  if (!s.stream.ready) reasons.push(`stream-${s.stream.kind}-not-ready`);
  return reasons;
}

/** The consumer's fastify instance, not yet listening (tests inject requests into it). */
export function buildConsumerHttp(consumer: Pick<Consumer, 'status'>, registry: Registry, logger: Logger): HttpApp {
  const app = createHttpServer({ logger });
  app.register(healthPlugin({ registry, status: () => consumer.status(), notReady: () => consumerNotReady(consumer.status()) }));
  return app;
}

export async function startConsumerHttp(
  o: { consumer: Pick<Consumer, 'status'>; registry: Registry; logger: Logger; port: number; host: string },
): Promise<{ port: number; close(): Promise<void> }> {
  const app = buildConsumerHttp(o.consumer, o.registry, o.logger);
  await app.listen({ port: o.port, host: o.host });
  const addr = app.server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : o.port, close: () => app.close() };
}
