/**
 * The demo page's development token (DEMO_TOKENS): from loopback, a token the broker accepts
 * for a user who is then a member of the room it named; refused when the configuration is
 * production or has no secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import { FakeStore } from '../../shared/testing/fake-store';
import { MemoryMembershipEvents } from '../../shared/membership/memory-membership-events';
import { startBroker, type BrokerHandle } from '../broker';
import { demoTokenRoutes } from '../identity';
import { frame, rawConnect } from '../testing/raw-client';
import { TEST_SECRET } from '../testing/tokens';

const store = new FakeStore();
const events = new MemoryMembershipEvents({});
let broker: BrokerHandle;
beforeAll(async () => {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, DEMO_TOKENS: 'true', PORT: '0', LOG_LEVEL: 'silent' });
  broker = await startBroker({ config, members: store, membershipEvents: events, routes: { public: demoTokenRoutes(config, store, events) } });
});
afterAll(() => broker.close());

describe('POST /demo/token', () => {
  it('hands loopback a token the broker accepts, for a member of the named room', async () => {
    const res = await fetch(`${broker.httpUrl}/demo/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'kim', room: 'lobby' }) });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(await store.isMember('lobby', 'kim')).toBe(true);
    const c = await rawConnect(broker.url);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', passcode: token }));
    expect((await c.waitFor((f) => f.command === 'CONNECTED')).headers['user-name']).toBe('kim');
    c.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/room.lobby', receipt: 'r' }));
    expect((await c.waitFor((f) => f.command === 'RECEIPT' || f.command === 'ERROR')).command).toBe('RECEIPT');
    c.close();
  });

  it('answers 400 for a bad name, and is refused by the configuration in production or without a secret', async () => {
    const res = await fetch(`${broker.httpUrl}/demo/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'kim lee', room: 'lobby' }) });
    expect(res.status).toBe(400);
    expect(() => loadConfig({ DEMO_TOKENS: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEMO_TOKENS: 'true', JWT_SECRET: TEST_SECRET, NODE_ENV: 'production' })).toThrow(/production/);
    expect(demoTokenRoutes(loadConfig({ JWT_SECRET: TEST_SECRET }), store, events)).toEqual([]);
  });
});
