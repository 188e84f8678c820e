/** /healthz, /readyz and /metrics as both processes serve them. */
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpServer } from './create-http-server';
import { healthPlugin } from './health-plugin';

const registry = new Registry();
new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
let reasons: string[] = [];
const app = createHttpServer({ logger: pino({ level: 'silent' }) });
app.register(healthPlugin({ registry, notReady: () => reasons, status: () => ({ queue: { depth: 2 } }) }));
afterAll(() => app.close());

describe('healthPlugin', () => {
  it('/healthz: up, with the process state', async () => {
    const r = await app.inject({ url: '/healthz' });
    expect([r.statusCode, r.json()]).toEqual([200, { status: 'ok', queue: { depth: 2 } }]);
  });

  it('/readyz: 200 when ready, 503 with the reasons when not', async () => {
    reasons = [];
    const ok = await app.inject({ url: '/readyz' });
    expect([ok.statusCode, ok.json()]).toEqual([200, { status: 'ready', reasons: [], queue: { depth: 2 } }]);
    reasons = ['shutting-down', 'offload-amqp-not-ready'];
    const not = await app.inject({ url: '/readyz' });
    expect([not.statusCode, not.json()]).toEqual([503, { status: 'not-ready', reasons: ['shutting-down', 'offload-amqp-not-ready'], queue: { depth: 2 } }]);
  });

  it('/metrics: the registry in Prometheus text format', async () => {
    const r = await app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe(registry.contentType);
    expect(r.body).toMatch(/^test_things_total 3$/m);
  });
});
