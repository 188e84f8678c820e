/**
 * Two broker processes (two brokers with their own Redis connections, sharing one database)
 * and a membership change made through one broker's REST API: the other broker's cached
 * answer is dropped at once through Redis, well inside the access cache's TTL (set to an hour
 * here, so only the notice can explain the change). Prints the propagation time p99.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config';
import { loadConfig } from '../../shared/config';
import { RedisMembershipEvents } from '../../shared/membership/redis-membership-events';
import { FakeStore } from '../../shared/testing/fake-store';
import { startRedis, type ServiceHandle } from '../../shared/testing/services';
import { startBroker, type BrokerHandle } from '../broker';
import { restApi } from '../http/rest-api';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';
import { hsToken, TEST_SECRET } from '../testing/tokens';

let redis: ServiceHandle;
const store = new FakeStore();
/** The brokers' membership lookups, counted. */
let lookups = 0;
const members = {
  isMember: (roomId: string, userId: string) => {
    lookups++;
    return store.isMember(roomId, userId);
  },
};
const brokers: BrokerHandle[] = [];
const events: RedisMembershipEvents[] = [];
const clients: RawClient[] = [];
let a: BrokerHandle;
let b: BrokerHandle;

async function node(config: Config): Promise<BrokerHandle> {
  const e = new RedisMembershipEvents({ url: redis.url });
  await e.start();
  events.push(e);
  const broker = await startBroker({ config, members, membershipEvents: e, routes: { data: restApi(config, { store, membershipEvents: e }) } });
  brokers.push(broker);
  return broker;
}

beforeAll(async () => {
  redis = await startRedis();
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', LOG_LEVEL: 'silent', ACCESS_CACHE_TTL_MS: '3600000', REDIS_URL: redis.url });
  a = await node(config);
  b = await node(config);
  await store.createRoom('r1', 'Room one', 'owner');
  await store.addMember('r1', 'bob');
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.close();
  for (const x of brokers) await x.close();
  for (const e of events) await e.close();
  await redis?.stop();
});

async function login(broker: BrokerHandle, user: string): Promise<RawClient> {
  const c = await rawConnect(broker.url);
  clients.push(c);
  c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', passcode: await hsToken({ sub: user }) }));
  await c.waitFor((f) => f.command === 'CONNECTED');
  return c;
}

let seq = 0;
/** SEND with a receipt: 'ok' or the ERROR's message. */
async function trySend(c: RawClient): Promise<string> {
  const id = `s${seq++}`;
  c.send(frame('SEND', { destination: '/topic/room.r1', receipt: id }, 'hi'));
  const f = await c.waitFor((f) => (f.command === 'RECEIPT' && f.headers['receipt-id'] === id) || f.command === 'ERROR');
  return f.command === 'RECEIPT' ? 'ok' : f.headers.message;
}

async function api(broker: BrokerHandle, method: string, path: string, user: string, body?: object): Promise<number> {
  const res = await fetch(`${broker.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await hsToken({ sub: user })}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('a membership change made on one broker', () => {
  it('takes effect on the other broker at once (through Redis), not after the TTL', async () => {
    const bob = await login(b, 'bob');
    expect(await trySend(bob)).toBe('ok'); // cached on b: member
    const before = lookups;
    expect(await trySend(bob)).toBe('ok');
    expect(lookups).toBe(before); // answered from b's cache

    expect(await api(a, 'DELETE', '/api/rooms/r1/members/bob', 'owner')).toBe(204);
    const deadline = Date.now() + 5_000;
    let answer = 'ok';
    // The notice crosses Redis asynchronously: b refuses as soon as it has heard it.
    while (answer === 'ok' && Date.now() < deadline) {
      answer = await trySend(await login(b, 'bob'));
    }
    expect(answer).toBe('forbidden');

    // Added back through a: b lets bob in again (a refusal is never trusted from the cache).
    expect(await api(a, 'POST', '/api/rooms/r1/members', 'owner', { userId: 'bob' })).toBeLessThan(300);
    expect(await trySend(await login(b, 'bob'))).toBe('ok');
  });

  it('reaches the other process quickly: propagation p99 over 200 changes', async () => {
    const heard: number[] = [];
    let sentAt = 0;
    const stop = events[1].subscribe(() => heard.push(performance.now() - sentAt));
    for (let i = 0; i < 200; i++) {
      sentAt = performance.now();
      const before = heard.length;
      await events[0].publish({ roomId: 'r1', userId: `u${i}` });
      const until = Date.now() + 2_000;
      while (heard.length === before && Date.now() < until) await new Promise((r) => setImmediate(r));
    }
    stop();
    expect(heard).toHaveLength(200);
    const s = [...heard].sort((x, y) => x - y);
    console.log(`membership notice propagation across two Redis connections: p50 ${s[100].toFixed(2)} ms, p99 ${s[197].toFixed(2)} ms, max ${s[199].toFixed(2)} ms`);
  });
});
