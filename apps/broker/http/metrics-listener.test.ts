/**
 * METRICS_PORT moves /healthz, /readyz and /metrics to a listener of their own: served there
 * (real sockets), absent from the main port, which keeps the API.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker';
import { freePort } from '../../shared/testing/services/ports';

const brokers: BrokerHandle[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
});

describe('a separate listener for probes and metrics', () => {
  it('serves them on METRICS_PORT only', async () => {
    const metricsPort = await freePort();
    const broker = await startBroker({ env: { PORT: '0', HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'silent' } });
    brokers.push(broker);
    const side = `http://127.0.0.1:${metricsPort}`;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(side + path)).status, `metrics port ${path}`).toBe(200);
      const main = await fetch(broker.httpUrl + path);
      expect([main.status, await main.json()], `main port ${path}`).toEqual([404, { error: `no route for GET ${path}` }]);
    }
    expect(await (await fetch(`${side}/metrics`)).text()).toMatch(/^# HELP /m);
    // The main port keeps the API; the side listener has nothing else.
    expect((await fetch(`${broker.httpUrl}/api/me`)).status).toBe(200);
    expect((await fetch(`${side}/api/me`)).status).toBe(404);
    expect((await fetch(`${broker.httpUrl}/api/openapi.json`)).status).toBe(200);
  });

  it('keeps them on the main port without METRICS_PORT', async () => {
    const broker = await startBroker({ env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' } });
    brokers.push(broker);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(broker.httpUrl + path)).status, path).toBe(200);
  });
});
