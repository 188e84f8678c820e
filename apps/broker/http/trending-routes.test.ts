/**
 * The trending routes on the broker's HTTP server, with a fake TrendingReader and a fake
 * authorisation rule (members of a room may read its words; any authenticated user the words
 * across rooms): status codes, parameters, the answer's shape, and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { HttpApp } from '../../shared/http/create-http-server';
import { HttpError } from '../../shared/http/http-errors';
import { OPENAPI_PATH } from '../../shared/http/openapi';
import type { TrendingQuery, TrendingReader, TrendingResult } from '../../shared/insights/trending-store';
import { buildBrokerHttp } from './http-server';
import { trendingRoutes, type TrendingAuthorize } from './trending-routes';

const queries: TrendingQuery[] = [];
let failing = false;
const reader: TrendingReader = {
  async top(q): Promise<TrendingResult> {
    if (failing) throw new Error('redis down');
    queries.push(q);
    return { words: [{ word: `${q.roomId ?? 'all'}-word`, count: 3 }].slice(0, q.limit), fromMs: 1_700_000_000_000, toMs: 1_700_000_299_000 };
  },
};
/** `authorization: user <id>`; members: alice of lobby. */
const members = new Map([['lobby', new Set(['alice'])]]);
const authorize: TrendingAuthorize = async (req, roomId) => {
  const user = /^user (\w+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!user) throw new HttpError(401, 'unauthenticated');
  if (roomId !== null && !members.get(roomId)?.has(user)) throw new HttpError(403, 'not a member of the room');
};

let app: HttpApp;
let base: string;
beforeAll(async () => {
  app = buildBrokerHttp({
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    notReady: () => [],
    loopbackOnly: true,
    routes: { data: [trendingRoutes(reader, { authorize, defaultLimit: 2, maxLimit: 20 })] },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
});

const get = async (path: string, user?: string) => {
  const res = await fetch(base + path, { headers: user ? { authorization: `user ${user}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('trending routes', () => {
  it('answers a member with the room’s words over the window asked for', async () => {
    queries.length = 0;
    const r = await get('/api/rooms/lobby/trending?window=15m&limit=5', 'alice');
    expect(r).toEqual({
      status: 200,
      body: { roomId: 'lobby', windowMinutes: 15, from: '2023-11-14T22:13:20.000Z', to: '2023-11-14T22:18:19.000Z', words: [{ word: 'lobby-word', count: 3 }] },
    });
    expect(queries).toEqual([{ roomId: 'lobby', windowMinutes: 15, limit: 5 }]);
  });

  it('refuses a room’s words without a token (401) and to a non-member (403), before reading anything', async () => {
    queries.length = 0;
    expect(await get('/api/rooms/lobby/trending')).toEqual({ status: 401, body: { error: 'unauthenticated' } });
    expect(await get('/api/rooms/lobby/trending', 'mallory')).toEqual({ status: 403, body: { error: 'not a member of the room' } });
    expect(queries).toEqual([]);
  });

  it('answers any authenticated user across rooms, and refuses without a token', async () => {
    queries.length = 0;
    const r = await get('/api/trending', 'mallory');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ roomId: null, windowMinutes: 5, words: [{ word: 'all-word', count: 3 }] });
    expect(queries).toEqual([{ roomId: null, windowMinutes: 5, limit: 2 }]);
    expect((await get('/api/trending')).status).toBe(401);
  });

  it.each([
    ['5', 5], ['5m', 5], ['60m', 60], ['1h', 60], ['1m', 1],
  ])('reads window=%s as %i minutes', async (w, minutes) => {
    queries.length = 0;
    expect((await get(`/api/trending?window=${w}`, 'alice')).status).toBe(200);
    expect(queries[0].windowMinutes).toBe(minutes);
  });

  it.each(['0m', '61m', '2h', 'abc', '5s', '-1'])('refuses window=%s with 400', async (w) => {
    const r = await get(`/api/trending?window=${encodeURIComponent(w)}`, 'alice');
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toMatch(/window/);
  });

  it('refuses a limit past the maximum with 400', async () => {
    expect((await get('/api/rooms/lobby/trending?limit=21', 'alice')).status).toBe(400);
  });

  it('answers 503 when the counts cannot be read', async () => {
    failing = true;
    try {
      expect(await get('/api/trending', 'alice')).toEqual({ status: 503, body: { error: 'trending words unavailable' } });
    } finally {
      failing = false;
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(base + OPENAPI_PATH)).json()) as { paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }> };
    expect(doc.paths['/api/rooms/{roomId}/trending']?.get?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['roomId', 'window', 'limit']));
    expect(doc.paths['/api/trending']?.get).toBeDefined();
  });
});
