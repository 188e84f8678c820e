/** The store's HTTP routes (history page-through, rooms/members/devices) over real HTTP, backed by the Postgres store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { HttpApp } from '../../shared/http/create-http-server';
import { startPostgres, type ServiceHandle } from '../../shared/testing/services';
import { openPostgresStore } from '../../shared/store/postgres-store';
import { historyRoutes } from './history-routes';
import { roomRoutes } from './room-routes';
import { buildBrokerHttp } from './http-server';
import type { Store } from '../../shared/store/store';
import { freshRoom, makeMessage, makeMessages } from '../../shared/store/message-store.contract';

let pg: ServiceHandle;
let store: Store;
let app: HttpApp;
let base: string;
const changes: Array<{ roomId: string; userId: string; member: boolean }> = [];

beforeAll(async () => {
  pg = await startPostgres();
  store = await openPostgresStore({ url: pg.url });
  app = buildBrokerHttp({
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    notReady: () => [],
    loopbackOnly: true,
    routes: {
      data: [
        historyRoutes(store, { defaultLimit: 4, maxLimit: 10 }),
        roomRoutes(store, { onMembershipChange: (c) => changes.push(c), maxBodyBytes: 256 }),
      ],
    },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await pg?.stop();
});

/** JSON bodies as application/json; a string body is sent as it is, still labelled JSON. */
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
};
const get = (path: string) => call('GET', path);

describe('history routes', () => {
  it('pages back through a room, newest page first, each page oldest first, ending with nextBefore null', async () => {
    const room = freshRoom('hist');
    const msgs = makeMessages(room, 10);
    await store.insertBatch(msgs);
    const seen: string[] = [];
    let before = '';
    for (let i = 0; i < 10; i++) {
      const { status, body } = await get(`/api/rooms/${room}/messages?limit=3${before ? `&before=${before}` : ''}`);
      expect(status).toBe(200);
      expect(body.roomId).toBe(room);
      seen.unshift(...body.messages.map((m: { id: string }) => m.id));
      if (body.nextBefore === null) break;
      before = body.nextBefore;
    }
    expect(seen).toEqual(msgs.map((m) => m.id));
    // Default limit applies without ?limit.
    expect((await get(`/api/rooms/${room}/messages`)).body.messages).toHaveLength(4);
  });

  it('returns text bodies as text and binary bodies as base64, with sender, time and headers', async () => {
    const room = freshRoom('hist');
    await store.insertBatch([
      makeMessage(room, 'a1', { body: Buffer.from('hi 👋'), headers: { k: 'v' } }),
      makeMessage(room, 'a2', { body: Buffer.from([0, 1, 255]), contentType: 'application/octet-stream' }),
    ]);
    const { body } = await get(`/api/rooms/${encodeURIComponent(room)}/messages`);
    expect(body.messages).toMatchObject([
      { id: 'a1', body: 'hi 👋', bodyEncoding: 'utf8', headers: { k: 'v' }, senderId: 'alice', sentAt: new Date(1_700_000_000_123).toISOString() },
      { id: 'a2', body: Buffer.from([0, 1, 255]).toString('base64'), bodyEncoding: 'base64', contentType: 'application/octet-stream' },
    ]);
  });

  it('answers 400 with a reason for bad parameters, and an empty page for an unknown room', async () => {
    for (const q of ['limit=0', 'limit=11', 'limit=abc', 'limit=-1', 'limit=1.5', 'before=has%20space', `before=${'x'.repeat(200)}`]) {
      const { status, body } = await get(`/api/rooms/r1/messages?${q}`);
      expect(status, q).toBe(400);
      expect(body.error, q).toMatch(/limit|before/);
    }
    expect((await get('/api/rooms/%E0%A4%A/messages')).status).toBe(400);
    const empty = await get(`/api/rooms/${freshRoom('none')}/messages`);
    expect(empty).toEqual({ status: 200, body: expect.objectContaining({ messages: [], nextBefore: null }) });
  });
});

describe('room routes', () => {
  it('creates rooms, adds and removes members, reporting each membership change', async () => {
    const room = freshRoom('api');
    expect(await call('POST', '/api/rooms', { id: room })).toEqual({ status: 201, body: { id: room, created: true } });
    expect(await call('POST', '/api/rooms', { id: room })).toEqual({ status: 200, body: { id: room, created: false } });
    expect((await call('PUT', `/api/rooms/${room}/members/bob`)).status).toBe(201);
    expect((await call('PUT', `/api/rooms/${room}/members/bob`)).status).toBe(200);
    expect((await call('PUT', `/api/rooms/${room}/members/amy`)).body).toEqual({ roomId: room, userId: 'amy', added: true });
    const list = await get(`/api/rooms/${room}/members`);
    expect(list.body.members.map((m: { userId: string }) => m.userId)).toEqual(['amy', 'bob']);
    expect((await get(`/api/rooms/${room}/members?limit=1`)).body.members).toHaveLength(1);
    expect((await call('DELETE', `/api/rooms/${room}/members/bob`)).status).toBe(204);
    expect((await call('DELETE', `/api/rooms/${room}/members/bob`)).status).toBe(404);
    expect(await store.isMember(room, 'bob')).toBe(false);
    expect(changes.filter((c) => c.roomId === room)).toEqual([
      { roomId: room, userId: 'bob', member: true },
      { roomId: room, userId: 'amy', member: true },
      { roomId: room, userId: 'bob', member: false },
    ]);
  });

  it('registers and deletes device tokens', async () => {
    const user = freshRoom('dev');
    expect((await call('PUT', `/api/users/${user}/devices/tok-${user}`, { platform: 'android' })).status).toBe(204);
    expect((await store.listDeviceTokens([user])).map((t) => t.token)).toEqual([`tok-${user}`]);
    expect((await call('PUT', `/api/users/${user}/devices/tok2`, { platform: 'palm' })).body.error).toMatch(/platform/);
    expect((await call('DELETE', `/api/devices/tok-${user}`)).status).toBe(204);
    expect((await call('DELETE', `/api/devices/tok-${user}`)).status).toBe(404);
  });

  it('refuses bad input with 4xx and a reason, and non-loopback peers with 403', async () => {
    expect(await call('POST', '/api/rooms', 'not json')).toEqual({ status: 400, body: { error: expect.stringMatching(/JSON/) } });
    expect(await call('POST', '/api/rooms', '[1]')).toEqual({ status: 400, body: { error: expect.stringMatching(/^body: /) } });
    expect((await call('POST', '/api/rooms', { id: 5 })).status).toBe(400);
    expect((await call('POST', '/api/rooms', { id: '' })).status).toBe(400);
    expect((await call('POST', '/api/rooms', { id: 'x'.repeat(300) })).status).toBe(413);
    expect((await get(`/api/rooms/${freshRoom('none')}/members`)).status).toBe(404);
    expect((await get('/api/rooms/r/members?limit=0')).status).toBe(400);
    const remote = await app.inject({ method: 'PUT', url: '/api/rooms/r/members/u', remoteAddress: '10.0.0.5' });
    expect([remote.statusCode, remote.json().error]).toEqual([403, expect.stringMatching(/only loopback/)]);
  });
});
