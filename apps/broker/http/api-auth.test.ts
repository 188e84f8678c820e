/**
 * Who the REST API takes the caller to be. JWT mode: a bearer token checked by the CONNECT
 * authenticator, 401 `unauthenticated` with the reason otherwise, reachable from any address;
 * the probes and /metrics stay open. Development mode: `x-user` / `?user=`, loopback only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/create-http-server';
import { FakeStore } from '../../shared/testing/fake-store';
import { hsToken } from '../testing/tokens';
import { apiApp, callAs } from './testing/api-app';

const REMOTE = '10.0.0.5';
const apps: HttpApp[] = [];
const make = (mode: 'jwt' | 'development') => {
  const a = apiApp(new FakeStore(), { mode });
  apps.push(a);
  return a;
};
afterAll(async () => {
  for (const a of apps) await a.close();
});

const jwt = make('jwt');
const withAuth = async (authorization: string | undefined, url = '/api/me', remote?: string) => {
  const res = await jwt.inject({ url, headers: authorization === undefined ? {} : { authorization }, remoteAddress: remote });
  return { status: res.statusCode, body: res.json() };
};

describe('JWT mode', () => {
  it('identifies the caller by a bearer token; admin from the role `npm run token -- --admin` writes', async () => {
    expect(await withAuth(`Bearer ${await hsToken({ sub: 'mia' })}`)).toEqual({ status: 200, body: { userId: 'mia', admin: false, mode: 'jwt' } });
    expect((await withAuth(`bearer ${await hsToken({ sub: 'ada', claims: { roles: ['admin'] } })}`)).body).toMatchObject({ admin: true });
    // Only the role counts: a claim named otherwise does not make an admin.
    expect((await withAuth(`Bearer ${await hsToken({ sub: 'eve', claims: { roles: ['user'], admin: 'yes' } })}`)).body).toMatchObject({ admin: false });
  });

  it('answers 401 unauthenticated with the reason for a missing, malformed, bad or expired token', async () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /^no token: send "Authorization: Bearer <jwt>"$/],
      ['Basic dXNlcjpwYXNz', /must be "Bearer <jwt>"/],
      ['Bearer', /must be "Bearer <jwt>"/],
      ['Bearer not.a.jwt', /^invalid token: /],
      [`Bearer ${await hsToken({ sub: 'mia' }, 'another-secret-of-at-least-32-bytes-xxxx')}`, /^invalid token: signature verification failed/],
      [`Bearer ${await hsToken({ sub: 'mia', expiresIn: -60 })}`, /^token expired/],
      [`Bearer ${await hsToken({ sub: 'mia', expiresIn: null })}`, /"exp" claim/],
      [`Bearer ${await hsToken({ sub: 'bad user' })}`, /token subject must be/],
    ];
    for (const [authorization, reason] of cases) {
      const r = await withAuth(authorization);
      expect(r.status, authorization).toBe(401);
      expect(r.body, authorization).toEqual({ error: 'unauthenticated', reason: expect.stringMatching(reason) });
    }
  });

  it('guards every data route, not only /api/me', async () => {
    for (const [method, url] of [
      ['GET', '/api/rooms'],
      ['POST', '/api/rooms'],
      ['GET', '/api/rooms/r/messages'],
      ['GET', '/api/rooms/r/presence'],
      ['POST', '/api/rooms/r/members'],
      ['DELETE', '/api/rooms/r/members/u'],
      ['POST', '/api/devices'],
      ['DELETE', '/api/devices/t'],
      ['POST', '/api/users/u/messages'],
    ] as const) {
      const r = await jwt.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect([r.statusCode, r.json().error], `${method} ${url}`).toEqual([401, 'unauthenticated']);
    }
  });

  it('serves remote callers with a token; probes, metrics and the API document need none', async () => {
    expect((await withAuth(`Bearer ${await hsToken({ sub: 'mia' })}`, '/api/rooms', REMOTE)).status).toBe(200);
    expect((await withAuth(undefined, '/api/rooms', REMOTE)).status).toBe(401);
    for (const url of ['/healthz', '/readyz', '/metrics', '/api/openapi.json', '/api/docs']) {
      expect((await jwt.inject({ url, remoteAddress: REMOTE })).statusCode, url).toBe(200);
    }
  });

  it('ignores development mode’s x-user', async () => {
    expect((await jwt.inject({ url: '/api/me', headers: { 'x-user': 'ada' } })).statusCode).toBe(401);
    const token = await hsToken({ sub: 'mia' });
    expect((await jwt.inject({ url: '/api/me?user=ada', headers: { authorization: `Bearer ${token}`, 'x-user': 'ada' } })).json().userId).toBe('mia');
  });
});

describe('development mode', () => {
  const dev = make('development');

  it('acts as x-user or ?user=; naming nobody is the local operator, an admin', async () => {
    expect((await dev.inject({ url: '/api/me', headers: { 'x-user': 'mia' } })).json()).toEqual({ userId: 'mia', admin: false, mode: 'development' });
    expect((await dev.inject({ url: '/api/me?user=sam' })).json()).toEqual({ userId: 'sam', admin: false, mode: 'development' });
    // Beside a route's own query parameters too.
    expect((await dev.inject({ url: '/api/rooms?user=sam&limit=5' })).json()).toEqual({ rooms: [], nextAfter: null });
    expect((await dev.inject({ url: '/api/me' })).json()).toEqual({ userId: 'anonymous', admin: true, mode: 'development' });
    const bad = await dev.inject({ url: '/api/me', headers: { 'x-user': 'no spaces' } });
    expect([bad.statusCode, bad.json()]).toEqual([401, { error: 'unauthenticated', reason: expect.stringMatching(/^x-user must be/) }]);
  });

  it('applies the same room rules to a named user', async () => {
    const r = await callAs(dev, null, 'POST', '/api/rooms', { id: 'devroom', name: 'd' }, { headers: { 'x-user': 'mia' } });
    expect(r.body).toMatchObject({ id: 'devroom', ownerId: 'mia' });
    expect((await callAs(dev, null, 'GET', '/api/rooms/devroom', undefined, { headers: { 'x-user': 'sam' } })).status).toBe(403);
    expect((await callAs(dev, null, 'GET', '/api/rooms/devroom')).status).toBe(200);
  });

  it('serves loopback clients only', async () => {
    const r = await dev.inject({ url: '/api/me', remoteAddress: REMOTE });
    expect([r.statusCode, r.json().error]).toEqual([403, expect.stringMatching(/only loopback clients/)]);
  });
});
