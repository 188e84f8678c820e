/** The REST API's per-caller request limit: by user, by address for callers without a valid token; 429 JSON. */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import type { HttpApp } from '../../shared/http/create-http-server';
import { sleep } from '../../shared/sleep';
import { FakeStore } from '../../shared/testing/fake-store';
import { apiApp, callAs } from './testing/api-app';

const apps: HttpApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});
const limited = (max: number, windowMs: number) => {
  const a = apiApp(new FakeStore(), { rateLimit: { max, windowMs, maxKeys: 100 } });
  apps.push(a);
  return a;
};

describe('API rate limit', () => {
  it('refuses a user past the limit with 429 JSON and Retry-After; other users are unaffected', async () => {
    const app = limited(3, 60_000);
    for (let i = 0; i < 3; i++) expect((await callAs(app, 'mia', 'GET', '/api/rooms')).status).toBe(200);
    const over = await callAs(app, 'mia', 'GET', '/api/me');
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ error: 'rate-limited', reason: expect.stringMatching(/^more than 3 requests in 60000 ms: retry in /) });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Keyed by user, not by address: the same peer with another token is served.
    expect((await callAs(app, 'sam', 'GET', '/api/rooms')).status).toBe(200);
  });

  it('counts callers without a valid token by address', async () => {
    const app = limited(2, 60_000);
    const anon = (remote: string) => app.inject({ url: '/api/rooms', remoteAddress: remote });
    expect((await anon('10.0.0.7')).statusCode).toBe(401);
    expect((await anon('10.0.0.7')).statusCode).toBe(401);
    expect((await anon('10.0.0.7')).statusCode).toBe(429);
    expect((await anon('10.0.0.8')).statusCode).toBe(401);
  });

  it('serves again once the window has passed', async () => {
    const app = limited(1, 300);
    expect((await callAs(app, 'mia', 'GET', '/api/me')).status).toBe(200);
    expect((await callAs(app, 'mia', 'GET', '/api/me')).status).toBe(429);
    await sleep(450);
    expect((await callAs(app, 'mia', 'GET', '/api/me')).status).toBe(200);
  });

  it('leaves probes, metrics and the API document alone', async () => {
    const app = limited(1, 60_000);
    for (let i = 0; i < 5; i++) {
      for (const url of ['/healthz', '/metrics', '/api/openapi.json']) expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it('is off with API_RATE_LIMIT_MAX=0, and bounded in configuration', async () => {
    const app = limited(0, 60_000);
    for (let i = 0; i < 20; i++) expect((await callAs(app, 'mia', 'GET', '/api/me')).status).toBe(200);
    expect(loadConfig({}).API_RATE_LIMIT_MAX).toBe(600);
    expect(() => loadConfig({ API_RATE_LIMIT_MAX: '2000000' })).toThrow(ConfigError);
    expect(() => loadConfig({ API_RATE_LIMIT_WINDOW_MS: '10' })).toThrow(/API_RATE_LIMIT_WINDOW_MS/);
    expect(() => loadConfig({ API_RATE_LIMIT_MAX_KEYS: '0' })).toThrow(/API_RATE_LIMIT_MAX_KEYS/);
  });
});
