/**
 * The REST API as the broker serves it (real sockets): in JWT mode tokens are checked, the rate
 * limit comes from configuration, and a client reaching the broker from another address is
 * served; in development mode that client is refused.
 */
import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config';
import { FakeStore } from '../../shared/testing/fake-store';
import { startBroker, type BrokerHandle } from '../broker';
import { TEST_SECRET } from '../testing/tokens';
import { restApi } from './rest-api';
import { tokenFor } from './testing/api-app';

const brokers: BrokerHandle[] = [];
afterAll(async () => {
  for (const b of brokers) await b.close();
});

/** An address of this machine other than loopback, if it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

async function broker(env: Record<string, string>): Promise<BrokerHandle> {
  const all = { PORT: '0', HOST: '0.0.0.0', LOG_LEVEL: 'silent', ROOM_ACCESS: 'open', ...env };
  const b = await startBroker({ env: all, routes: { data: restApi(loadConfig(all), { store: new FakeStore() }) } });
  brokers.push(b);
  return b;
}

const get = async (url: string, user?: string, admin = false) => {
  const res = await fetch(url, { headers: user ? { authorization: `Bearer ${await tokenFor(user, admin)}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('the broker’s REST API', () => {
  it('checks tokens in JWT mode and limits each caller as configured', async () => {
    const b = await broker({ JWT_SECRET: TEST_SECRET, API_RATE_LIMIT_MAX: '3' });
    expect(await get(`${b.httpUrl}/api/me`)).toEqual({ status: 401, body: { error: 'unauthenticated', reason: expect.stringMatching(/^no token/) } });
    expect(await get(`${b.httpUrl}/api/me`, 'ada', true)).toEqual({ status: 200, body: { userId: 'ada', admin: true, mode: 'jwt' } });
    expect((await get(`${b.httpUrl}/api/me`, 'mia')).status).toBe(200);
    expect((await get(`${b.httpUrl}/api/rooms`, 'mia')).status).toBe(200);
    expect((await get(`${b.httpUrl}/api/rooms`, 'mia')).status).toBe(200);
    expect(await get(`${b.httpUrl}/api/rooms`, 'mia')).toMatchObject({ status: 429, body: { error: 'rate-limited' } });
    expect((await get(`${b.httpUrl}/api/me`, 'kim')).status).toBe(200);
    // Admins (operators, provisioning tools) are not limited.
    for (let i = 0; i < 5; i++) expect((await get(`${b.httpUrl}/api/rooms`, 'ada', true)).status).toBe(200);
  });

  it.skipIf(!outside)('serves a client from another address in JWT mode, and refuses it in development mode', async () => {
    const jwt = await broker({ JWT_SECRET: TEST_SECRET });
    expect((await get(`http://${outside}:${jwt.port}/api/me`, 'mia')).status).toBe(200);
    expect((await get(`http://${outside}:${jwt.port}/api/me`)).status).toBe(401);
    const dev = await broker({});
    const refused = await get(`http://${outside}:${dev.port}/api/me`);
    expect(refused.status).toBe(403);
    expect((await get(`${dev.httpUrl}/api/me`)).body).toEqual({ userId: 'anonymous', admin: true, mode: 'development' });
  });
});
