/** The consumer's HTTP server: the shared health plugin fed by the consumer's status. */
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsumerStatus } from './consumer';
import { buildConsumerHttp, startConsumerHttp } from './consumer-http';

const logger = pino({ level: 'silent' });
const registry = new Registry();
new Counter({ name: 'stompbox_consumer_messages_stored_total', help: 'stored', registers: [registry] }).inc(7);
const status: ConsumerStatus = {
  source: { kind: 'amqp', ready: true },
  stream: { kind: 'redis', ready: true, backpressure: false },
  store: 'postgres',
  heldPacks: 0,
};
const consumer = { status: () => status };
const app = buildConsumerHttp(consumer, registry, logger);
afterAll(() => app.close());

describe('consumer HTTP', () => {
  it('/healthz reports the pipeline status', async () => {
    const r = await app.inject({ url: '/healthz' });
    expect([r.statusCode, r.json()]).toEqual([200, { status: 'ok', ...status }]);
  });

  it('/readyz is 503 with the reasons while the queue or the stream is not ready', async () => {
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready', reasons: [] });
    status.source.ready = false;
    status.stream.ready = false;
    try {
      const r = await app.inject({ url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ status: 'not-ready', reasons: ['source-amqp-not-ready', 'stream-redis-not-ready'], source: { ready: false } });
    } finally {
      status.source.ready = true;
      status.stream.ready = true;
    }
  });

  it('/metrics serves the consumer registry; other paths are 404 JSON', async () => {
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^stompbox_consumer_messages_stored_total 7$/m);
    const nf = await app.inject({ url: '/api/rooms' });
    expect([nf.statusCode, nf.json()]).toEqual([404, { error: 'no route for GET /api/rooms' }]);
  });

  it('listens on a real port', async () => {
    const http = await startConsumerHttp({ consumer, registry, logger, port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${http.port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', store: 'postgres' });
    } finally {
      await http.close();
    }
  });
});
