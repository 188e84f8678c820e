/**
 * Access on the STOMP side over real sockets, JWT mode: rooms for members only (looked up
 * once, then answered from the cache: the lookups are counted), a membership change notice
 * taking effect at once, user destinations on every connection of a user, and the
 * per-connection SEND rate that slows a sender without losing anything or stalling others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MembershipChange, MembershipEvents } from '../../shared/membership/membership-events';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';
import { hsToken, TEST_SECRET } from '../testing/tokens';

/** Membership as the store would answer it, counting every lookup. */
const members = new Set(['r1/alice', 'r1/bob']);
const lookups = { n: 0 };
const store = {
  async isMember(roomId: string, userId: string) {
    lookups.n++;
    return members.has(`${roomId}/${userId}`);
  },
};

/** One process's notices, delivered synchronously (what the in-process twin does). */
const listeners = new Set<(c: MembershipChange) => void>();
const events: MembershipEvents = {
  kind: 'test',
  async publish(c) {
    for (const l of listeners) l(c);
  },
  subscribe(l) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  async start() {},
  async close() {},
};

let broker: BrokerHandle;
let limited: BrokerHandle;
const clients: RawClient[] = [];
beforeAll(async () => {
  const env = { JWT_SECRET: TEST_SECRET, PORT: '0', LOG_LEVEL: 'silent' };
  broker = await startBroker({ env, members: store, membershipEvents: events });
  limited = await startBroker({ env: { ...env, ROOM_ACCESS: 'open', SEND_RATE_PER_S: '100', SEND_BURST: '10' } });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broker.close();
  await limited.close();
});

async function login(user: string, b = broker, claims = {}): Promise<RawClient> {
  const c = await rawConnect(b.url);
  clients.push(c);
  c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', passcode: await hsToken({ sub: user, claims }) }));
  const f = await c.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR');
  if (f.command !== 'CONNECTED') throw new Error(`${f.headers.message}: ${f.body}`);
  return c;
}

async function receipt(c: RawClient, command: string, headers: Record<string, string>, body = ''): Promise<void> {
  const id = `r-${Math.random()}`;
  c.send(frame(command, { ...headers, receipt: id }, body));
  const f = await c.waitFor((f) => (f.command === 'RECEIPT' && f.headers['receipt-id'] === id) || f.command === 'ERROR');
  if (f.command === 'ERROR') throw new Error(`${f.headers.message}: ${f.body}`);
}

async function refusal(c: RawClient, command: string, headers: Record<string, string>): Promise<{ code: string; body: string }> {
  const id = `x-${Math.random()}`;
  c.send(frame(command, { ...headers, receipt: id }, 'hi'));
  const f = await c.waitFor((f) => f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === id));
  expect(f.command).toBe('ERROR');
  return { code: f.headers.message, body: f.body.toString() };
}

describe('rooms need membership', () => {
  it('refuses a non-member SUBSCRIBE and SEND with ERROR forbidden naming the destination', async () => {
    const sub = await refusal(await login('mallory'), 'SUBSCRIBE', { id: 's', destination: '/topic/room.r1' });
    expect(sub.code).toBe('forbidden');
    expect(sub.body).toContain('/topic/room.r1');
    const send = await refusal(await login('mallory'), 'SEND', { destination: '/topic/room.r1' });
    expect(send.code).toBe('forbidden');
  });

  it('looks a member up once: 500 SENDs make no further store call', async () => {
    const reader = await login('bob');
    await receipt(reader, 'SUBSCRIBE', { id: 's', destination: '/topic/room.r1' });
    const alice = await login('alice');
    await receipt(alice, 'SEND', { destination: '/topic/room.r1' }, 'first');
    const before = lookups.n;
    for (let i = 0; i < 499; i++) alice.send(frame('SEND', { destination: '/topic/room.r1' }, `m${i}`));
    await receipt(alice, 'SEND', { destination: '/topic/room.r1' }, 'last');
    await reader.waitForCount((f) => f.command === 'MESSAGE', 501);
    expect(lookups.n).toBe(before);
    expect(broker.metrics.registry.getSingleMetric('stompbox_access_cache_hits_total')).toBeDefined();
  });

  it('a removal announced through MembershipEvents takes effect at once', async () => {
    members.add('r1/carol');
    const carol = await login('carol');
    await receipt(carol, 'SEND', { destination: '/topic/room.r1' }, 'in');
    members.delete('r1/carol');
    await events.publish({ roomId: 'r1', userId: 'carol' });
    expect((await refusal(carol, 'SEND', { destination: '/topic/room.r1' })).code).toBe('forbidden');
  });

  it('an admin token passes membership', async () => {
    const admin = await login('root', broker, { roles: ['admin'] });
    await receipt(admin, 'SEND', { destination: '/topic/room.r1' }, 'from an admin');
  });
});

describe('user destinations', () => {
  it('a user with three connections receives each message once on each; another user none', async () => {
    const kims = [await login('kim'), await login('kim'), await login('kim')];
    for (const k of kims) await receipt(k, 'SUBSCRIBE', { id: 'inbox', destination: '/user/queue/inbox' });
    const lee = await login('lee');
    await receipt(lee, 'SUBSCRIBE', { id: 'inbox', destination: '/user/queue/inbox' });

    const admin = await login('root', broker, { roles: ['admin'] });
    await receipt(admin, 'SEND', { destination: '/user/kim/queue/inbox' }, 'over STOMP');
    broker.hub.sendToUser('kim', 'inbox', { contentType: 'text/plain', headers: {}, body: Buffer.from('over the hub') }, { userId: 'system' });

    for (const k of kims) {
      const got = await k.waitForCount((f) => f.command === 'MESSAGE', 2);
      expect(got.map((f) => f.body.toString())).toEqual(['over STOMP', 'over the hub']);
      expect(got.every((f) => f.headers.destination === '/user/queue/inbox' && f.headers.subscription === 'inbox')).toBe(true);
    }
    // lee's own queue gets a message now: everything before it would have arrived first.
    await receipt(lee, 'SEND', { destination: '/user/lee/queue/inbox' }, 'note to self');
    const leeGot = await lee.waitFor((f) => f.command === 'MESSAGE');
    expect(leeGot.body.toString()).toBe('note to self');
    expect(lee.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(1);
    for (const k of kims) expect(k.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(2);
  });

  it('refuses SEND to another user\'s queue by default, and SUBSCRIBE to it always', async () => {
    expect((await refusal(await login('lee'), 'SEND', { destination: '/user/kim/queue/inbox' })).code).toBe('forbidden');
    expect((await refusal(await login('lee'), 'SUBSCRIBE', { id: 's', destination: '/user/kim/queue/inbox' })).code).toBe('forbidden');
  });
});

describe('per-connection SEND rate', () => {
  it('slows a sender at 10x its rate to the rate, loses nothing, and keeps a bystander responsive', async () => {
    const reader = await login('reader', limited);
    await receipt(reader, 'SUBSCRIBE', { id: 's', destination: '/topic/flood' });
    const bystander = await login('bystander', limited);
    await receipt(bystander, 'SUBSCRIBE', { id: 's', destination: '/topic/calm' });
    const flooder = await login('flooder', limited);

    // 100/s with a burst of 10: 210 SENDs at once take at least 2 s to be accepted.
    const start = Date.now();
    const n = 210;
    let batch = '';
    for (let i = 0; i < n - 1; i++) batch += frame('SEND', { destination: '/topic/flood' }, `m${i}`);
    flooder.send(batch);
    const last = receipt(flooder, 'SEND', { destination: '/topic/flood' }, `m${n - 1}`);

    // Meanwhile the bystander's round trips stay quick.
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      await receipt(bystander, 'SEND', { destination: '/topic/calm' }, `b${i}`);
      await bystander.waitForCount((f) => f.command === 'MESSAGE', i + 1);
      rtts.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
    await last;
    const elapsed = Date.now() - start;
    const got = await reader.waitForCount((f) => f.command === 'MESSAGE', n);
    expect(got.map((f) => f.body.toString())).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    // Bound, not a speed goal: a stalled event loop would hold these for the whole 2 s.
    expect(Math.max(...rtts)).toBeLessThan(1_000);
    expect(limited.metrics.sendThrottles).toBeGreaterThan(0);
  });
});

describe('StompProtocolAndroid with a token', () => {
  it('its exact CONNECT with the JWT in passcode, then a member room and its user queue', async () => {
    const c = await rawConnect(broker.url, undefined, { headers: { 'User-Agent': 'okhttp/4.12.0' } });
    clients.push(c);
    const jwt = await hsToken({ sub: 'alice' });
    c.send(`CONNECT\naccept-version:1.1,1.2\nheart-beat:0,0\nlogin:alice\npasscode:${jwt}\n\n\0`);
    const connected = await c.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR');
    expect(connected.command).toBe('CONNECTED');
    expect(connected.headers['user-name']).toBe('alice');
    c.send(`SUBSCRIBE\nid:${crypto.randomUUID()}\ndestination:/user/queue/inbox\nack:auto\n\n\0`);
    c.send(`SUBSCRIBE\nid:${crypto.randomUUID()}\ndestination:/topic/room.r1\nack:auto\nreceipt:r\n\n\0`);
    await c.waitFor((f) => f.command === 'RECEIPT');
    broker.hub.sendToUser('alice', 'inbox', { contentType: 'text/plain', headers: {}, body: Buffer.from('ping') }, { userId: 'system' });
    const m = await c.waitFor((f) => f.command === 'MESSAGE');
    expect(m.headers.destination).toBe('/user/queue/inbox');
  });
});
