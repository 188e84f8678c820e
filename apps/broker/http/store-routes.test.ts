/**
 * The REST API over real HTTP (a socket, fetch) in JWT mode, backed by the Postgres store:
 * history page-through, rooms, members and devices as a client app uses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/create-http-server';
import { startPostgres, type ServiceHandle } from '../../shared/testing/services';
import { openPostgresStore } from '../../shared/store/postgres-store';
import type { Store } from '../../shared/store/store';
import { freshRoom, makeMessage, makeMessages } from '../../shared/store/message-store.contract';
import { apiApp, RecordingEvents, tokenFor } from './testing/api-app';

let pg: ServiceHandle;
let store: Store;
let app: HttpApp;
let base: string;
const events = new RecordingEvents();

beforeAll(async () => {
  pg = await startPostgres();
  store = await openPostgresStore({ url: pg.url });
  app = apiApp(store, { membershipEvents: events, env: { API_MAX_BODY_BYTES: '1024' } });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await pg?.stop();
});

/** JSON bodies as application/json; a string body is sent as it is, still labelled JSON. */
const call = async (user: string | null, method: string, path: string, body?: unknown, admin = false) => {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (user !== null) headers.authorization = `Bearer ${await tokenFor(user, admin)}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
};

describe('rooms, members and history over HTTP', () => {
  it('an owner makes a room, adds a member, who pages back through its history; strangers see nothing', async () => {
    const owner = freshRoom('owner');
    const member = freshRoom('member');
    const room = freshRoom('room');
    expect(await call(owner, 'POST', '/api/rooms', { id: room, name: 'Project' })).toMatchObject({ status: 201, body: { id: room, ownerId: owner } });
    expect((await call(owner, 'POST', `/api/rooms/${room}/members`, { userId: member })).status).toBe(201);
    expect(events.published).toContainEqual({ roomId: room, userId: member });
    expect((await call(member, 'GET', '/api/rooms')).body.rooms.map((r: { id: string }) => r.id)).toEqual([room]);

    const msgs = makeMessages(room, 10);
    await store.insertBatch(msgs);
    const seen: string[] = [];
    let before = '';
    for (let i = 0; i < 10; i++) {
      const { status, body } = await call(member, 'GET', `/api/rooms/${room}/messages?limit=3${before ? `&before=${before}` : ''}`);
      expect(status).toBe(200);
      seen.unshift(...body.messages.map((m: { id: string }) => m.id));
      if (body.nextBefore === null) break;
      before = body.nextBefore;
    }
    expect(seen).toEqual(msgs.map((m) => m.id));

    expect((await call('stranger', 'GET', `/api/rooms/${room}/messages`)).status).toBe(403);
    expect((await call(null, 'GET', `/api/rooms/${room}/messages`)).status).toBe(401);
    expect((await call(member, 'DELETE', `/api/rooms/${room}`)).status).toBe(403);
    expect((await call('root', 'DELETE', `/api/rooms/${room}`, undefined, true)).status).toBe(204);
    expect(await store.isMember(room, member)).toBe(false);
    // Its messages stay, so the id cannot be taken again.
    expect((await call(owner, 'POST', '/api/rooms', { id: room, name: 'Again' })).status).toBe(409);
  });

  it('returns text bodies as text and binary bodies as base64, with sender, time and headers', async () => {
    const room = freshRoom('hist');
    await store.createRoom(room, 'bodies', 'alice');
    await store.insertBatch([
      makeMessage(room, 'a1', { body: Buffer.from('hi 👋'), headers: { k: 'v' } }),
      makeMessage(room, 'a2', { body: Buffer.from([0, 1, 255]), contentType: 'application/octet-stream' }),
    ]);
    const { body } = await call('alice', 'GET', `/api/rooms/${encodeURIComponent(room)}/messages`);
    expect(body.messages).toMatchObject([
      { id: 'a1', body: 'hi 👋', bodyEncoding: 'utf8', headers: { k: 'v' }, senderId: 'alice', sentAt: new Date(1_700_000_000_123).toISOString() },
      { id: 'a2', body: Buffer.from([0, 1, 255]).toString('base64'), bodyEncoding: 'base64', contentType: 'application/octet-stream' },
    ]);
  });

  it('registers and unregisters the caller’s device tokens', async () => {
    const user = freshRoom('dev');
    expect((await call(user, 'POST', '/api/devices', { token: `tok-${user}`, platform: 'android' })).status).toBe(204);
    expect((await store.listDeviceTokens([user])).map((t) => t.token)).toEqual([`tok-${user}`]);
    expect((await call('someone-else', 'DELETE', `/api/devices/tok-${user}`)).status).toBe(404);
    expect((await call(user, 'DELETE', `/api/devices/tok-${user}`)).status).toBe(204);
    expect((await call(user, 'DELETE', `/api/devices/tok-${user}`)).status).toBe(404);
  });

  it('refuses bad input with 4xx and a reason', async () => {
    expect(await call('u', 'POST', '/api/rooms', 'not json')).toEqual({ status: 400, body: { error: expect.stringMatching(/JSON/) } });
    expect(await call('u', 'POST', '/api/rooms', '[1]')).toEqual({ status: 400, body: { error: expect.stringMatching(/^body: /) } });
    expect((await call('u', 'POST', '/api/rooms', { name: 'x'.repeat(2000) })).status).toBe(413);
    expect((await call('u', 'GET', '/api/rooms/r/messages?limit=0')).status).toBe(400);
    expect((await call('root', 'GET', `/api/rooms/${freshRoom('none')}/members`, undefined, true)).status).toBe(404);
  });
});
