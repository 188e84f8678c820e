/**
 * The broker's HTTP surface without a database: schema refusals of the REST routes, the
 * OpenAPI document and docs page, unknown routes, the loopback rule and store outages.
 * The routes' behaviour against real Postgres is in store-routes.test.ts.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/create-http-server';
import { StoreUnavailableError } from '../../shared/store/message-store';
import { FakeStore } from '../../shared/testing/fake-store';
import { deadLettersRoute } from './dead-letters-route';
import { buildBrokerHttp } from './http-server';
import { storeRoutes } from './store-routes';

const REMOTE = '10.0.0.5';
const apps: HttpApp[] = [];
function broker(loopbackOnly = true, store = new FakeStore()): HttpApp {
  const app = buildBrokerHttp({
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    notReady: () => [],
    loopbackOnly,
    routes: { data: [storeRoutes(store), deadLettersRoute({ list: () => [] })] },
  });
  apps.push(app);
  return app;
}
afterAll(async () => {
  for (const app of apps) await app.close();
});

const app = broker();
const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, o: { payload?: string | object; type?: string; remote?: string } = {}) => {
  const res = await app.inject({
    method,
    url,
    payload: o.payload,
    headers: o.type ? { 'content-type': o.type } : {},
    remoteAddress: o.remote,
  });
  return { status: res.statusCode, body: res.json() as { error: string } };
};

describe('REST routes: schema refusals', () => {
  it('refuses a bad roomId, limit or before with 400 and the parameter named', async () => {
    const cases: Array<[string, RegExp]> = [
      [`/api/rooms/${'x'.repeat(257)}/messages`, /^params\.roomId: /],
      ['/api/rooms/a%00b/messages', /^params\.roomId: .*NUL/],
      ['/api/rooms/r/messages?limit=0', /^querystring\.limit: must be an integer between 1 and 200$/],
      ['/api/rooms/r/messages?limit=201', /^querystring\.limit: /],
      ['/api/rooms/r/messages?limit=abc', /^querystring\.limit: /],
      ['/api/rooms/r/messages?limit=2.5', /^querystring\.limit: /],
      ['/api/rooms/r/messages?before=a%20b', /^querystring\.before: must be a message id/],
      ['/api/rooms/r/members?limit=1001', /^querystring\.limit: /],
      ['/api/dead-letters?limit=-1', /^querystring\.limit: /],
      ['/api/rooms/%E0%A4%A/messages', /not a valid url/],
    ];
    for (const [url, reason] of cases) {
      const r = await call('GET', url);
      expect(r.status, url).toBe(400);
      expect(r.body.error, url).toMatch(reason);
    }
  });

  it('accepts ids up to their limits (a 256-character room, a 4096-character device token in the path)', async () => {
    expect((await call('GET', `/api/rooms/${'x'.repeat(256)}/messages`)).status).toBe(200);
    const store = new FakeStore();
    store.deleteDeviceTokens = async () => 0;
    const tokens = await broker(true, store).inject({ method: 'DELETE', url: `/api/devices/${'t'.repeat(4096)}` });
    expect([tokens.statusCode, tokens.json()]).toEqual([404, { error: 'no such token' }]);
    expect((await call('DELETE', `/api/devices/${'t'.repeat(4097)}`)).body.error).toMatch(/^params\.token: must be at most 4096/);
  });

  it('refuses a bad body with 400 and a non-JSON body with 415', async () => {
    expect(await call('POST', '/api/rooms', { payload: { id: 5 } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.id: /) } });
    expect(await call('POST', '/api/rooms', { payload: { id: '' } })).toEqual({ status: 400, body: { error: 'body.id: must not be empty' } });
    expect(await call('POST', '/api/rooms', { payload: '{"id":', type: 'application/json' })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/rooms', { payload: 'id=r1', type: 'text/plain' })).toEqual({ status: 415, body: { error: expect.stringMatching(/application\/json/) } });
    expect(await call('PUT', '/api/users/u/devices/t', { payload: { platform: 'palm' } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.platform: /) } });
    expect(await call('PUT', '/api/users/u/devices/t')).toEqual({ status: 400, body: { error: expect.stringMatching(/^body: /) } });
    expect(await call('PUT', '/api/users/u/devices/t', { payload: 'android', type: 'text/plain' })).toMatchObject({ status: 415 });
  });

  it('answers 503 with a reason when the store is unavailable', async () => {
    const store = new FakeStore();
    store.messagesBefore = async () => {
      throw new StoreUnavailableError('connect ECONNREFUSED');
    };
    const r = await broker(true, store).inject({ url: '/api/rooms/r/messages' });
    expect([r.statusCode, r.json()]).toEqual([503, { error: 'store unavailable' }]);
  });

  it('answers an unknown route with 404 JSON', async () => {
    expect(await call('GET', '/api/nothing')).toEqual({ status: 404, body: { error: 'no route for GET /api/nothing' } });
    expect(await call('PUT', '/api/rooms')).toEqual({ status: 404, body: { error: 'no route for PUT /api/rooms' } });
  });
});

describe('loopback rule (development mode)', () => {
  it('refuses non-loopback peers on every route but the health probes with 403 JSON', async () => {
    for (const [method, url] of [
      ['GET', '/api/rooms/r/messages'],
      ['POST', '/api/rooms'],
      ['GET', '/api/rooms/r/members'],
      ['PUT', '/api/rooms/r/members/u'],
      ['DELETE', '/api/rooms/r/members/u'],
      ['PUT', '/api/users/u/devices/t'],
      ['DELETE', '/api/devices/t'],
      ['GET', '/api/dead-letters'],
      ['GET', '/metrics'],
      ['GET', '/api/docs'],
    ] as const) {
      const r = await call(method, url, { remote: REMOTE });
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error).toMatch(/only loopback clients.*ALLOW_REMOTE_WITHOUT_AUTH/);
    }
    for (const url of ['/healthz', '/readyz']) {
      expect((await app.inject({ url, remoteAddress: REMOTE })).statusCode, url).toBe(200);
    }
    expect((await call('GET', '/api/rooms/r/messages', { remote: '::1' })).status).toBe(200);
    expect((await call('GET', '/api/rooms/r/messages', { remote: '::ffff:127.0.0.1' })).status).toBe(200);
  });

  it('refuses a Host that does not name this machine (DNS rebinding), even from loopback', async () => {
    const r = await app.inject({ url: '/api/rooms/r/messages', headers: { host: 'rebound.example:8080' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatch(/only requests addressed to this machine/);
    expect((await app.inject({ url: '/api/rooms/r/messages', headers: { host: '127.0.0.1:8080' } })).statusCode).toBe(200);
  });

  it('refuses a state-changing request from another site, and a body that is not JSON', async () => {
    const cross = await app.inject({ method: 'POST', url: '/api/rooms', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, payload: { id: 'x' } });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error).toMatch(/origin "https:\/\/evil.example" is not allowed/);
    const plain = await app.inject({ method: 'POST', url: '/api/rooms', headers: { 'content-type': 'text/plain' }, payload: '{"id":"x"}' });
    expect(plain.statusCode).toBe(415);
    const same = await app.inject({ method: 'POST', url: '/api/rooms', headers: { origin: 'http://localhost:80', host: 'localhost:80', 'content-type': 'application/json' }, payload: { id: 'same-origin' } });
    expect(same.statusCode).not.toBe(403); // past the guard (the fake store then refuses rooms)
  });

  it('is off when the option says so (ALLOW_REMOTE_WITHOUT_AUTH)', async () => {
    const open = broker(false);
    expect((await open.inject({ url: '/api/rooms/r/messages', remoteAddress: REMOTE })).statusCode).toBe(200);
  });
});

describe('OpenAPI document and docs page', () => {
  it('lists every /api route with its parameters, a summary and tags', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string; tags?: string[]; parameters?: Array<{ in: string; name: string; required?: boolean }>; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));
    const params = (route: string) =>
      operations
        .find((o) => o.route === route)
        ?.op.parameters?.map((p) => `${p.in}:${p.name}`)
        .sort();
    expect(operations.map((o) => o.route).sort()).toEqual(
      [
        'GET /api/rooms/{roomId}/messages',
        'POST /api/rooms',
        'GET /api/rooms/{roomId}/members',
        'PUT /api/rooms/{roomId}/members/{userId}',
        'DELETE /api/rooms/{roomId}/members/{userId}',
        'PUT /api/users/{userId}/devices/{token}',
        'DELETE /api/devices/{token}',
        'GET /api/dead-letters',
      ].sort(),
    );
    expect(params('GET /api/rooms/{roomId}/messages')).toEqual(['path:roomId', 'query:before', 'query:limit']);
    expect(params('GET /api/rooms/{roomId}/members')).toEqual(['path:roomId', 'query:limit']);
    expect(params('PUT /api/rooms/{roomId}/members/{userId}')).toEqual(['path:roomId', 'path:userId']);
    expect(params('DELETE /api/rooms/{roomId}/members/{userId}')).toEqual(['path:roomId', 'path:userId']);
    expect(params('PUT /api/users/{userId}/devices/{token}')).toEqual(['path:token', 'path:userId']);
    expect(params('DELETE /api/devices/{token}')).toEqual(['path:token']);
    expect(params('GET /api/dead-letters')).toEqual(['query:limit']);
    for (const { route, op } of operations) {
      expect(op.summary, route).toBeTruthy();
      expect(op.tags?.length, route).toBeGreaterThan(0);
      for (const p of op.parameters ?? []) if (p.in === 'path') expect(p.required, `${route} ${p.name}`).toBe(true);
    }
    for (const route of ['POST /api/rooms', 'PUT /api/users/{userId}/devices/{token}']) {
      expect(operations.find((o) => o.route === route)?.op.requestBody, route).toMatchObject({ content: { 'application/json': {} } });
    }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
  });

  it('serves the docs page and its scripts from the package (no network needed)', async () => {
    const page = await app.inject({ url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src, 'served locally').toMatch(/^\/api\/docs\//);
      expect((await app.inject({ url: src })).statusCode, src).toBe(200);
    }
  });
});
