/**
 * Every REST route in JWT mode (fastify inject, FakeStore): what it does, and who may call it —
 * owner, admin, member, stranger. The same routes against real Postgres over a socket are in
 * store-routes.test.ts.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpApp } from '../../shared/http/create-http-server';
import { makeMessages } from '../../shared/store/message-store.contract';
import { FakeStore } from '../../shared/testing/fake-store';
import { apiApp, callAs, RecordingEvents } from './testing/api-app';

const apps: HttpApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

let store: FakeStore;
let events: RecordingEvents;
let app: HttpApp;
const sent: Array<{ userId: string; queue: string; body: string; contentType: string | null; senderId: string }> = [];
let online = new Set<string>();
let presenceDown = false;

function build(o: Parameters<typeof apiApp>[1] = {}): HttpApp {
  const a = apiApp(store, {
    membershipEvents: events,
    presence: {
      onlineAmong: async (ids) => {
        if (presenceDown) throw new Error('redis down');
        return new Set(ids.filter((id) => online.has(id)));
      },
    },
    sendToUser: (userId, queue, body, contentType, senderId) => {
      sent.push({ userId, queue, body: body.toString(), contentType, senderId });
      return { id: `m${sent.length}` };
    },
    deadLetters: { list: () => [{ stage: 'store', reason: 'poison', messageIds: ['x1'], body: Buffer.from('abc') }] },
    ...o,
  });
  apps.push(a);
  return a;
}

beforeEach(async () => {
  store = new FakeStore();
  events = new RecordingEvents();
  sent.length = 0;
  online = new Set();
  presenceDown = false;
  app = build();
  // owner "olga" owns room "r1"; "mia" is a member; "sam" a stranger; "ada" an admin.
  expect((await callAs(app, 'olga', 'POST', '/api/rooms', { id: 'r1', name: 'Room one' })).status).toBe(201);
  expect((await callAs(app, 'olga', 'POST', '/api/rooms/r1/members', { userId: 'mia' })).status).toBe(201);
  events.published.length = 0;
});

const as = (user: string | null, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, admin = false) => callAs(app, user, method, url, payload, { admin });
const asAdmin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => as('ada', method, url, payload, true);

describe('rooms', () => {
  it('creates a room owned by the caller, who is its first member; a taken id is 409', async () => {
    const r = await as('sam', 'POST', '/api/rooms', { id: 'sams', name: '  Sam’s room  ' });
    expect(r).toMatchObject({ status: 201, body: { id: 'sams', name: 'Sam’s room', ownerId: 'sam', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    expect(await store.isMember('sams', 'sam')).toBe(true);
    expect(events.published).toEqual([{ roomId: 'sams', userId: 'sam' }]);
    expect(await as('mia', 'POST', '/api/rooms', { id: 'sams', name: 'mine' })).toEqual(expect.objectContaining({ status: 409, body: { error: 'room sams exists' } }));
    const generated = await as('sam', 'POST', '/api/rooms', { name: 'no id' });
    expect(generated.status).toBe(201);
    expect(generated.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses to reuse the id of a deleted room whose messages remain', async () => {
    await store.insertBatch(makeMessages('gone', 2));
    const r = await as('sam', 'POST', '/api/rooms', { id: 'gone', name: 'again' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/used before and its messages remain/);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    for (const [body, field] of [
      [{}, /^body\.name: /],
      [{ name: '' }, /^body\.name: /],
      [{ name: '   ' }, /^body\.name: must not be empty/],
      [{ name: 'x'.repeat(201) }, /^body\.name: must be at most 200/],
      [{ name: 'n', id: 'has space' }, /^body\.id: must be 1-128 of/],
      [{ name: 'n', id: 'x'.repeat(129) }, /^body\.id: /],
      [{ name: 5 }, /^body\.name: /],
    ] as const) {
      const r = await as('sam', 'POST', '/api/rooms', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatch(field);
    }
  });

  it('lists the caller’s rooms a page at a time', async () => {
    for (const id of ['a1', 'a2', 'a3']) await as('mia', 'POST', '/api/rooms', { id, name: id });
    const first = await as('mia', 'GET', '/api/rooms?limit=2');
    expect(first.body.rooms.map((r: { id: string }) => r.id)).toEqual(['a1', 'a2']);
    expect(first.body.nextAfter).toBe('a2');
    const second = await as('mia', 'GET', `/api/rooms?limit=2&after=${first.body.nextAfter}`);
    expect(second.body).toEqual({ rooms: [expect.objectContaining({ id: 'a3' }), expect.objectContaining({ id: 'r1', ownerId: 'olga', name: 'Room one' })], nextAfter: 'r1' });
    expect((await as('mia', 'GET', '/api/rooms?limit=2&after=r1')).body).toEqual({ rooms: [], nextAfter: null });
    expect((await as('sam', 'GET', '/api/rooms')).body).toEqual({ rooms: [], nextAfter: null });
    expect((await as('sam', 'GET', '/api/rooms?limit=201')).body.error).toMatch(/^querystring\.limit: /);
  });

  it('shows a room to members and admins; a stranger gets 403 whether or not it exists', async () => {
    expect(await as('mia', 'GET', '/api/rooms/r1')).toMatchObject({ status: 200, body: { id: 'r1', name: 'Room one', ownerId: 'olga' } });
    expect((await asAdmin('GET', '/api/rooms/r1')).status).toBe(200);
    const stranger = await as('sam', 'GET', '/api/rooms/r1');
    expect(stranger).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'not a member of room r1' } });
    expect(await as('sam', 'GET', '/api/rooms/nope')).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'not a member of room nope' } });
    expect(await asAdmin('GET', '/api/rooms/nope')).toMatchObject({ status: 404, body: { error: 'no such room' } });
  });

  it('deletes a room: its owner or an admin; members and strangers may not; announced for the whole room', async () => {
    expect(await as('mia', 'DELETE', '/api/rooms/r1')).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'only the owner of room r1 or an admin may manage it' } });
    expect(await as('sam', 'DELETE', '/api/rooms/r1')).toMatchObject({ status: 403, body: { reason: 'not a member of room r1' } });
    expect(events.published).toEqual([]);
    expect((await as('olga', 'DELETE', '/api/rooms/r1')).status).toBe(204);
    expect(events.published).toEqual([{ roomId: 'r1', userId: null }]);
    expect(await store.isMember('r1', 'mia')).toBe(false);
    expect((await as('olga', 'DELETE', '/api/rooms/r1')).status).toBe(403); // no longer a member of anything there
    await as('sam', 'POST', '/api/rooms', { id: 's1', name: 's' });
    expect((await asAdmin('DELETE', '/api/rooms/s1')).status).toBe(204);
    expect((await asAdmin('DELETE', '/api/rooms/s1')).status).toBe(404);
    expect(events.published).toEqual([{ roomId: 'r1', userId: null }, { roomId: 's1', userId: 'sam' }, { roomId: 's1', userId: null }]);
  });

  it('lets an admin manage a room made on first use (no owner); nobody else', async () => {
    await store.addMember('legacy', 'mia');
    expect((await as('mia', 'POST', '/api/rooms/legacy/members', { userId: 'sam' })).status).toBe(403);
    expect(await asAdmin('GET', '/api/rooms/legacy')).toMatchObject({ status: 200, body: { id: 'legacy', name: null, ownerId: null } });
    expect((await asAdmin('POST', '/api/rooms/legacy/members', { userId: 'sam' })).status).toBe(201);
  });
});

describe('members', () => {
  it('adds members: owner or admin; 201 then 200; announced once', async () => {
    expect(await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'sam' })).toMatchObject({ status: 201, body: { roomId: 'r1', userId: 'sam', added: true } });
    expect(await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'sam' })).toMatchObject({ status: 200, body: { added: false } });
    expect((await asAdmin('POST', '/api/rooms/r1/members', { userId: 'tom' })).status).toBe(201);
    expect(await as('mia', 'POST', '/api/rooms/r1/members', { userId: 'eve' })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await as('zed', 'POST', '/api/rooms/r1/members', { userId: 'zed' })).toMatchObject({ status: 403, body: { reason: 'not a member of room r1' } });
    expect(await asAdmin('POST', '/api/rooms/nope/members', { userId: 'sam' })).toMatchObject({ status: 404 });
    expect(events.published).toEqual([
      { roomId: 'r1', userId: 'sam' },
      { roomId: 'r1', userId: 'tom' },
    ]);
    expect((await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'bad id' })).body.error).toMatch(/^body\.userId: must be 1-128 of/);
    expect((await as('olga', 'POST', '/api/rooms/r1/members', {})).body.error).toMatch(/^body\.userId: /);
  });

  it('lists members to members and admins only', async () => {
    const list = await as('mia', 'GET', '/api/rooms/r1/members');
    expect(list).toMatchObject({ status: 200, body: { roomId: 'r1', members: [{ userId: 'mia' }, { userId: 'olga' }] } });
    expect((await as('mia', 'GET', '/api/rooms/r1/members?limit=1')).body.members).toHaveLength(1);
    expect((await asAdmin('GET', '/api/rooms/r1/members')).status).toBe(200);
    expect((await as('sam', 'GET', '/api/rooms/r1/members')).status).toBe(403);
    expect((await as('mia', 'GET', '/api/rooms/r1/members?limit=0')).status).toBe(400);
    expect(await asAdmin('GET', '/api/rooms/nope/members')).toMatchObject({ status: 404, body: { error: 'no such room' } });
  });

  it('removes members: owner, admin, or the member leaving; announced', async () => {
    await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'sam' });
    await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'tom' });
    events.published.length = 0;
    expect((await as('mia', 'DELETE', '/api/rooms/r1/members/sam')).status).toBe(403);
    expect((await as('sam', 'DELETE', '/api/rooms/r1/members/sam')).status).toBe(204); // leaving
    expect((await as('sam', 'DELETE', '/api/rooms/r1/members/sam')).status).toBe(404);
    expect((await as('olga', 'DELETE', '/api/rooms/r1/members/tom')).status).toBe(204);
    expect((await asAdmin('DELETE', '/api/rooms/r1/members/mia')).status).toBe(204);
    expect(await as('olga', 'DELETE', '/api/rooms/r1/members/mia')).toMatchObject({ status: 404, body: { error: 'not a member' } });
    expect(events.published).toEqual([
      { roomId: 'r1', userId: 'sam' },
      { roomId: 'r1', userId: 'tom' },
      { roomId: 'r1', userId: 'mia' },
    ]);
    expect(await store.isMember('r1', 'mia')).toBe(false);
  });

  it('still answers when the change cannot be announced (it is committed; the access TTL bounds the delay)', async () => {
    events.fail = true;
    expect((await as('olga', 'POST', '/api/rooms/r1/members', { userId: 'sam' })).status).toBe(201);
    expect(await store.isMember('r1', 'sam')).toBe(true);
  });
});

describe('messages (history pages)', () => {
  it('are for members and admins', async () => {
    const msgs = makeMessages('r1', 3);
    await store.insertBatch(msgs);
    const page = await as('mia', 'GET', '/api/rooms/r1/messages?limit=2');
    expect(page.status).toBe(200);
    expect(page.body.messages.map((m: { id: string }) => m.id)).toEqual(msgs.slice(1).map((m) => m.id));
    expect(page.body.nextBefore).toBe(msgs[1].id);
    expect((await asAdmin('GET', '/api/rooms/r1/messages')).body.messages).toHaveLength(3);
    // An admin reads a room id without a room row (a deleted room's messages stay).
    await store.insertBatch(makeMessages('deleted', 2));
    expect((await asAdmin('GET', '/api/rooms/deleted/messages')).body.messages).toHaveLength(2);
    expect((await as('mia', 'GET', '/api/rooms/deleted/messages')).status).toBe(403);
    expect(await as('sam', 'GET', '/api/rooms/r1/messages')).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await as('mia', 'GET', '/api/rooms/r1/messages?before=a%20b')).status).toBe(400);
  });
});

describe('devices', () => {
  it('registers a token for the caller and unregisters only the caller’s own', async () => {
    expect((await as('mia', 'POST', '/api/devices', { token: 'tok-1', platform: 'android' })).status).toBe(204);
    expect(store.tokens.get('tok-1')).toMatchObject({ userId: 'mia', platform: 'android' });
    expect(await as('sam', 'DELETE', '/api/devices/tok-1')).toMatchObject({ status: 404, body: { error: 'no such token' } });
    expect(store.tokens.has('tok-1')).toBe(true);
    expect((await as('mia', 'DELETE', '/api/devices/tok-1')).status).toBe(204);
    expect((await as('mia', 'DELETE', '/api/devices/tok-1')).status).toBe(404);
  });

  it('refuses bad bodies', async () => {
    expect((await as('mia', 'POST', '/api/devices', { token: 't', platform: 'palm' })).body.error).toMatch(/^body\.platform: /);
    expect((await as('mia', 'POST', '/api/devices', { platform: 'ios' })).body.error).toMatch(/^body\.token: /);
    expect((await as('mia', 'POST', '/api/devices', { token: 't'.repeat(4097), platform: 'ios' })).body.error).toMatch(/^body\.token: must be at most 4096/);
    expect((await as('mia', 'DELETE', `/api/devices/${'t'.repeat(4097)}`)).body.error).toMatch(/^params\.token: /);
  });
});

describe('presence', () => {
  it('lists the members online, to members and admins', async () => {
    online = new Set(['mia', 'stranger-online']);
    expect(await as('olga', 'GET', '/api/rooms/r1/presence')).toMatchObject({ status: 200, body: { roomId: 'r1', online: ['mia'], checked: 2, complete: true } });
    expect((await asAdmin('GET', '/api/rooms/r1/presence')).body.online).toEqual(['mia']);
    expect((await as('sam', 'GET', '/api/rooms/r1/presence')).status).toBe(403);
  });

  it('answers 503 when presence is unknown or not wired, never an empty list', async () => {
    presenceDown = true;
    expect(await as('olga', 'GET', '/api/rooms/r1/presence')).toMatchObject({ status: 503, body: { error: 'presence unavailable' } });
    const bare = build({ presence: undefined });
    expect((await callAs(bare, 'olga', 'GET', '/api/rooms/r1/presence')).status).toBe(503);
  });
});

describe('messages to a user', () => {
  const post = (user: string, body: object, admin = false, to = 'bob') => as(user, 'POST', `/api/users/${to}/messages`, body, admin);

  it('lets an admin send to a user’s queue, the admin as sender', async () => {
    expect(await post('ada', { queue: 'notices', body: 'hi 👋' }, true)).toEqual(expect.objectContaining({ status: 202, body: { id: 'm1' } }));
    expect(await post('ada', { queue: 'n', body: '{}', contentType: 'application/json' }, true)).toMatchObject({ status: 202 });
    expect(sent).toEqual([
      { userId: 'bob', queue: 'notices', body: 'hi 👋', contentType: 'text/plain', senderId: 'ada' },
      { userId: 'bob', queue: 'n', body: '{}', contentType: 'application/json', senderId: 'ada' },
    ]);
  });

  it('refuses other users by default, and lets them when configured', async () => {
    expect(await post('mia', { queue: 'notices', body: 'x' })).toMatchObject({ status: 403, body: { error: 'forbidden', reason: expect.stringMatching(/only an admin/) } });
    const open = build({ env: { API_USER_MESSAGES: 'any' } });
    expect((await callAs(open, 'mia', 'POST', '/api/users/bob/messages', { queue: 'q', body: 'x' })).status).toBe(202);
    expect(sent.map((s) => s.senderId)).toEqual(['mia']);
  });

  it('validates the recipient, queue and content type; 503 without user destinations', async () => {
    expect((await post('ada', { queue: 'a/b', body: 'x' }, true)).body.error).toMatch(/^body\.queue: /);
    expect((await post('ada', { queue: 'q' }, true)).body.error).toMatch(/^body\.body: /);
    expect((await post('ada', { queue: 'q', body: 'x', contentType: 'text/plain; charset=utf-8' }, true)).body.error).toMatch(/^body\.contentType: /);
    expect((await post('ada', { queue: 'q', body: 'x' }, true, 'b%20b')).body.error).toMatch(/^params\.userId: /);
    const none = build({ sendToUser: undefined });
    expect((await callAs(none, 'ada', 'POST', '/api/users/bob/messages', { queue: 'q', body: 'x' }, { admin: true })).status).toBe(503);
    expect(sent).toEqual([]);
  });

  it('bounds the body (API_MAX_BODY_BYTES)', async () => {
    const small = build({ env: { API_MAX_BODY_BYTES: '1024' } });
    const r = await callAs(small, 'ada', 'POST', '/api/users/bob/messages', { queue: 'q', body: 'x'.repeat(2000) }, { admin: true });
    expect(r.status).toBe(413);
  });
});

describe('me and dead letters', () => {
  it('GET /api/me says who the caller is', async () => {
    expect((await as('mia', 'GET', '/api/me')).body).toEqual({ userId: 'mia', admin: false, mode: 'jwt' });
    expect((await asAdmin('GET', '/api/me')).body).toEqual({ userId: 'ada', admin: true, mode: 'jwt' });
  });

  it('dead letters are for admins only', async () => {
    expect(await as('mia', 'GET', '/api/dead-letters')).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'admins only' } });
    expect(await asAdmin('GET', '/api/dead-letters')).toMatchObject({ status: 200, body: { total: 1, letters: [{ reason: 'poison', bytes: 3 }] } });
  });
});
