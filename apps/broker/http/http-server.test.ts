/**
 * The broker's HTTP surface without a database, in development mode: schema refusals of the
 * REST routes, the OpenAPI document and docs page, unknown routes, the loopback rule and store
 * outages. Callers and their rules: api-auth.test.ts, rest-routes.test.ts; the routes against
 * real Postgres over a socket: store-routes.test.ts; the OpenAPI document in JWT mode: openapi.test.ts.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/create-http-server';
import { StoreUnavailableError } from '../../shared/store/message-store';
import { FakeStore } from '../../shared/testing/fake-store';
import { deadLettersRoute } from './dead-letters-route';
import { buildBrokerHttp } from './http-server';
import { adminOnly } from './request-principal';
import { storeRoutes } from './store-routes';
import { userMessageRoute } from './user-message-route';

const REMOTE = '10.0.0.5';
const apps: HttpApp[] = [];
/** A store holding rooms "r" and a 256-character one (the operator, an admin, reads any room). */
function withRooms(): FakeStore {
  const store = new FakeStore();
  void store.addMember('r', 'anonymous');
  void store.addMember('x'.repeat(256), 'anonymous');
  return store;
}
function broker(loopbackOnly = true, store = withRooms()): HttpApp {
  const app = buildBrokerHttp({
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    notReady: () => [],
    loopbackOnly,
    routes: { data: [storeRoutes(store), userMessageRoute(undefined), adminOnly(deadLettersRoute({ list: () => [] }))] },
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
      ['/api/rooms?limit=0', /^querystring\.limit: /],
      ['/api/rooms?after=', /^querystring\.after: /],
      [`/api/rooms/${'x'.repeat(257)}`, /^params\.roomId: /],
      [`/api/rooms/${'x'.repeat(257)}/presence`, /^params\.roomId: /],
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
    expect(await call('DELETE', `/api/devices/${'t'.repeat(4096)}`)).toEqual({ status: 404, body: { error: 'no such token' } });
    expect((await call('DELETE', `/api/devices/${'t'.repeat(4097)}`)).body.error).toMatch(/^params\.token: must be at most 4096/);
  });

  it('refuses bad path parameters of the other methods too', async () => {
    for (const [method, url, reason] of [
      ['DELETE', '/api/rooms/a%00b', /^params\.roomId: .*NUL/],
      ['DELETE', `/api/rooms/r/members/${'u'.repeat(257)}`, /^params\.userId: /],
      ['POST', '/api/users/not%20valid/messages', /^params\.userId: /],
    ] as const) {
      const r = await call(method, url, { payload: method === 'POST' ? { queue: 'q', body: 'b' } : undefined });
      expect(r.status, url).toBe(400);
      expect(r.body.error, url).toMatch(reason);
    }
  });

  it('refuses a bad body with 400 and a non-JSON body with 415', async () => {
    expect(await call('POST', '/api/rooms', { payload: { id: 5, name: 'n' } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.id: /) } });
    expect(await call('POST', '/api/rooms', { payload: { id: '', name: 'n' } })).toEqual({ status: 400, body: { error: 'body.id: must be 1-128 of [A-Za-z0-9_-.~]' } });
    expect(await call('POST', '/api/rooms', { payload: { id: 'r2' } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.name: /) } });
    expect(await call('POST', '/api/rooms', { payload: '{"id":', type: 'application/json' })).toMatchObject({ status: 400 });
    expect(await call('POST', '/api/rooms', { payload: 'id=r1', type: 'text/plain' })).toEqual({ status: 415, body: { error: expect.stringMatching(/application\/json/) } });
    expect(await call('POST', '/api/devices', { payload: { token: 't', platform: 'palm' } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.platform: /) } });
    expect(await call('POST', '/api/devices')).toEqual({ status: 400, body: { error: expect.stringMatching(/^body: /) } });
    expect(await call('POST', '/api/devices', { payload: 'android', type: 'text/plain' })).toMatchObject({ status: 415 });
    expect(await call('POST', '/api/rooms/r/members', { payload: { userId: '' } })).toEqual({ status: 400, body: { error: expect.stringMatching(/^body\.userId: /) } });
  });

  it('answers 503 with a reason when the store is unavailable', async () => {
    const store = withRooms();
    store.messagesBefore = async () => {
      throw new StoreUnavailableError('connect ECONNREFUSED');
    };
    const r = await broker(true, store).inject({ url: '/api/rooms/r/messages' });
    expect([r.statusCode, r.json()]).toEqual([503, { error: 'store unavailable' }]);
    store.unavailable = true;
    const rooms = await broker(true, store).inject({ method: 'POST', url: '/api/rooms', payload: { name: 'n' } });
    expect([rooms.statusCode, rooms.json()]).toEqual([503, { error: 'store unavailable' }]);
  });

  it('answers an unknown route with 404 JSON', async () => {
    expect(await call('GET', '/api/nothing')).toEqual({ status: 404, body: { error: 'no route for GET /api/nothing' } });
    expect(await call('PUT', '/api/rooms')).toEqual({ status: 404, body: { error: 'no route for PUT /api/rooms' } });
  });
});

describe('loopback rule (development mode)', () => {
  it('refuses non-loopback peers on every route but the health probes with 403 JSON', async () => {
    for (const [method, url] of [
      ['GET', '/api/me'],
      ['GET', '/api/rooms'],
      ['POST', '/api/rooms'],
      ['GET', '/api/rooms/r'],
      ['DELETE', '/api/rooms/r'],
      ['GET', '/api/rooms/r/messages'],
      ['GET', '/api/rooms/r/presence'],
      ['GET', '/api/rooms/r/members'],
      ['POST', '/api/rooms/r/members'],
      ['DELETE', '/api/rooms/r/members/u'],
      ['POST', '/api/devices'],
      ['DELETE', '/api/devices/t'],
      ['POST', '/api/users/u/messages'],
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
    const cross = await app.inject({ method: 'POST', url: '/api/rooms', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, payload: { name: 'x' } });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().error).toMatch(/origin "https:\/\/evil.example" is not allowed/);
    const plain = await app.inject({ method: 'POST', url: '/api/rooms', headers: { 'content-type': 'text/plain' }, payload: '{"name":"x"}' });
    expect(plain.statusCode).toBe(415);
    const same = await app.inject({ method: 'POST', url: '/api/rooms', headers: { origin: 'http://localhost:80', host: 'localhost:80', 'content-type': 'application/json' }, payload: { id: 'same-origin', name: 'x' } });
    expect(same.statusCode).toBe(201);
  });

  it('is off when the option says so (ALLOW_REMOTE_WITHOUT_AUTH)', async () => {
    const open = broker(false);
    expect((await open.inject({ url: '/api/rooms/r/messages', remoteAddress: REMOTE })).statusCode).toBe(200);
  });
});

describe('docs page', () => {
  it('declares development mode’s x-user in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { security: unknown; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.components.securitySchemes).toEqual({ developmentUser: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-user' }) });
    expect(doc.security).toEqual([{ developmentUser: [] }]);
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
