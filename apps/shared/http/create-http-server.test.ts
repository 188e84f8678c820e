/** The shared server: one error shape for routing, parsing, validation, store and handler failures. */
import { createRequire } from 'node:module';
import type { InjectOptions } from 'fastify';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StoreUnavailableError } from '../store/message-store';
import { InvalidArgumentError } from '../store/validate';
import { createHttpServer, type HttpPlugin } from './create-http-server';
import { HttpError } from './http-errors';

const routes: HttpPlugin = async (r) => {
  r.post('/echo/:id', { bodyLimit: 64, schema: { params: z.object({ id: z.string().max(3) }), body: z.object({ n: z.number() }) } }, async (req) => ({ id: req.params.id, n: req.body.n }));
  r.get('/throw/:what', async (req) => {
    const what = (req.params as { what: string }).what;
    if (what === 'http') throw new HttpError(409, 'already there');
    if (what === 'coded') throw new HttpError(403, 'not a member of room r', 'forbidden');
    if (what === 'argument') throw new InvalidArgumentError('roomId must be a non-empty string');
    if (what === 'store') throw new StoreUnavailableError('connect ECONNREFUSED 10.1.2.3:5432');
    throw new Error('secret internals');
  });
};
const app = createHttpServer({ logger: pino({ level: 'silent' }) });
app.register(routes);
afterAll(() => app.close());

const call = async (o: InjectOptions) => {
  const res = await app.inject(o);
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as { error?: string; reason?: string } };
};

describe('createHttpServer', () => {
  it('answers an unknown route with 404 and a JSON reason', async () => {
    expect(await call({ method: 'GET', url: '/nothing/here?x=1' })).toEqual({ status: 404, type: 'application/json; charset=utf-8', body: { error: 'no route for GET /nothing/here' } });
    expect((await call({ method: 'DELETE', url: '/echo/a' })).status).toBe(404);
  });

  it('takes JSON bodies only: another content type is 415, broken JSON 400, too large 413', async () => {
    const post = (payload: string, type?: string) => call({ method: 'POST', url: '/echo/a', payload, headers: type ? { 'content-type': type } : {} });
    expect(await post('{"n":1}', 'application/json')).toMatchObject({ status: 200, body: { id: 'a', n: 1 } });
    expect(await post('n=1', 'text/plain')).toMatchObject({ status: 415, body: { error: 'the body must be application/json, not text/plain' } });
    expect(await post('n=1', 'application/x-www-form-urlencoded')).toMatchObject({ status: 415 });
    expect(await post('{"n":', 'application/json')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/JSON/) } });
    expect(await post(JSON.stringify({ n: 1, pad: 'x'.repeat(100) }), 'application/json')).toMatchObject({ status: 413, body: { error: expect.any(String) } });
  });

  it('turns schema failures into 400 naming where the problem is', async () => {
    const r = await call({ method: 'POST', url: '/echo/abcd', payload: { n: 'one' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^params\.id: /);
    const b = await call({ method: 'POST', url: '/echo/a', payload: { n: 'one' } });
    expect(b).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body\.n: .*number/) } });
  });

  it('answers a malformed URL with 400 in the same shape', async () => {
    expect(await call({ method: 'GET', url: '/throw/%E0%A4%A' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not a valid url/) } });
  });

  it('maps thrown errors: HttpError as is, store errors to 400/503, anything else to 500 without details', async () => {
    expect((await call({ method: 'GET', url: '/throw/http' })).body).toEqual({ error: 'already there' });
    expect(await call({ method: 'GET', url: '/throw/http' })).toMatchObject({ status: 409 });
    expect(await call({ method: 'GET', url: '/throw/coded' })).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'not a member of room r' } });
    expect(await call({ method: 'GET', url: '/throw/argument' })).toMatchObject({ status: 400, body: { error: 'roomId must be a non-empty string' } });
    expect(await call({ method: 'GET', url: '/throw/store' })).toMatchObject({ status: 503, body: { error: 'store unavailable' } });
    expect(await call({ method: 'GET', url: '/throw/bug' })).toMatchObject({ status: 500, body: { error: 'internal error' } });
  });

  it("validates and serialises with zod alone: fastify's default compilers are never loaded", async () => {
    expect((await call({ method: 'POST', url: '/echo/abcd', payload: { n: 1 } })).status).toBe(400);
    expect(await call({ method: 'POST', url: '/echo/a', payload: { n: 2 } })).toMatchObject({ status: 200, body: { id: 'a', n: 2 } });
    // Test files run in processes of their own (vitest forks), so this file's loads are all there is.
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((f) => /[/\\](ajv|@fastify[/\\]ajv-compiler|@fastify[/\\]fast-json-stringify-compiler)[/\\]/.test(f))).toEqual([]);
  });
});
