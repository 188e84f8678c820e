/** GET /api/rooms/:roomId/messages over real HTTP, backed by the Postgres store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute, sendError } from '../../broker/http/router';
import { startPostgres, type ServiceHandle } from '../testing/services';
import { openPostgresStore } from './postgres-store';
import { historyRoutes } from './history-routes';
import type { MessageStore } from './message-store';
import { freshRoom, makeMessage, makeMessages } from './message-store.contract';

let pg: ServiceHandle;
let store: MessageStore;
let server: Server;
let base: string;

beforeAll(async () => {
  pg = await startPostgres();
  store = await openPostgresStore({ url: pg.url });
  const routes = historyRoutes(store, { defaultLimit: 4, maxLimit: 10 });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (!m) return sendError(res, 404, 'not found');
    void m.route.handler(req, res, m.params, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await store?.close();
  await pg?.stop();
});

const get = async (path: string) => {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as any };
};

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
