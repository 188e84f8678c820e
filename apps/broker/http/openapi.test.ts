/**
 * The OpenAPI document in JWT mode: structurally valid OpenAPI 3 (references resolve, path
 * parameters declared, every operation answers), every route listed with a summary, tags and
 * the bearer scheme; the probes and metrics declared open.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FakeStore } from '../../shared/testing/fake-store';
import { apiApp } from './testing/api-app';

type Operation = {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  security?: Array<Record<string, string[]>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }>; schemas?: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** What makes a document unusable by OpenAPI 3 tooling; empty when there is nothing. */
function problemsOf(doc: Doc): string[] {
  const out: string[] = [];
  if (!/^3\.\d+\.\d+$/.test(doc.openapi)) out.push(`openapi version ${doc.openapi}`);
  if (!doc.info?.title || !doc.info?.version) out.push('info.title and info.version are required');
  const schemes = doc.components?.securitySchemes ?? {};
  const checkSecurity = (where: string, security: Operation['security']) => {
    for (const req of security ?? []) for (const name of Object.keys(req)) if (!(name in schemes)) out.push(`${where}: unknown security scheme ${name}`);
  };
  checkSecurity('document', doc.security);
  // Every $ref must point inside the document.
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref') {
          const target = String(x).replace(/^#\//, '').split('/').reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], doc);
          if (!String(x).startsWith('#/') || target === undefined) out.push(`${at}: $ref ${String(x)} does not resolve`);
        } else walk(x, `${at}/${k}`);
      }
    }
  };
  walk(doc, '#');
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) out.push(`path ${path} must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.has(method)) out.push(`${where}: not an HTTP method`);
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
      if (JSON.stringify(inPath.map((p) => p.name).sort()) !== JSON.stringify(templated)) out.push(`${where}: path parameters do not match the template`);
      for (const p of inPath) if (p.required !== true) out.push(`${where}: path parameter ${p.name} must be required`);
      for (const p of op.parameters ?? []) if (!['path', 'query', 'header', 'cookie'].includes(p.in) || !p.schema) out.push(`${where}: bad parameter ${p.name}`);
      const names = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`);
      if (new Set(names).size !== names.length) out.push(`${where}: repeated parameter`);
      const responses = Object.entries(op.responses ?? {});
      if (responses.length === 0) out.push(`${where}: no responses`);
      for (const [status, r] of responses) {
        if (!/^[1-5]\d\d$|^default$/.test(status)) out.push(`${where}: response status ${status}`);
        if (typeof r.description !== 'string') out.push(`${where} ${status}: description is required`);
      }
      checkSecurity(where, op.security);
    }
  }
  return out;
}

const app = apiApp(new FakeStore(), { deadLetters: { list: () => [] } });
afterAll(() => app.close());

describe('OpenAPI document (JWT mode)', () => {
  it('is valid OpenAPI 3 and lists every route with a summary, tags and the bearer scheme', async () => {
    const res = await app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as Doc;
    expect(problemsOf(doc)).toEqual([]);
    expect(doc.components?.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }) });
    expect(doc.security).toEqual([{ bearer: [] }]);

    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));
    const api = operations.filter((o) => o.route.split(' ')[1].startsWith('/api/'));
    expect(api.map((o) => o.route).sort()).toEqual(
      [
        'GET /api/me',
        'POST /api/rooms',
        'GET /api/rooms',
        'GET /api/rooms/{roomId}',
        'DELETE /api/rooms/{roomId}',
        'GET /api/rooms/{roomId}/members',
        'POST /api/rooms/{roomId}/members',
        'DELETE /api/rooms/{roomId}/members/{userId}',
        'GET /api/rooms/{roomId}/messages',
        'GET /api/rooms/{roomId}/presence',
        'POST /api/devices',
        'DELETE /api/devices/{token}',
        'POST /api/users/{userId}/messages',
        'GET /api/dead-letters',
      ].sort(),
    );
    for (const { route, op } of api) {
      expect(op.summary, route).toBeTruthy();
      expect(op.tags?.length, route).toBeGreaterThan(0);
      // The document's bearer requirement applies: no route opts out.
      expect(op.security, route).toBeUndefined();
      expect(Object.keys(op.responses ?? {}), route).toEqual(expect.arrayContaining(['401']));
    }
    const params = (route: string) => api.find((o) => o.route === route)?.op.parameters?.map((p) => `${p.in}:${p.name}`).sort();
    expect(params('GET /api/rooms')).toEqual(['query:after', 'query:limit']);
    expect(params('GET /api/rooms/{roomId}/messages')).toEqual(['path:roomId', 'query:before', 'query:limit']);
    expect(params('DELETE /api/rooms/{roomId}/members/{userId}')).toEqual(['path:roomId', 'path:userId']);
    for (const route of ['POST /api/rooms', 'POST /api/rooms/{roomId}/members', 'POST /api/devices', 'POST /api/users/{userId}/messages']) {
      expect(api.find((o) => o.route === route)?.op.requestBody, route).toMatchObject({ content: { 'application/json': { schema: expect.any(Object) } } });
    }
    for (const path of ['/healthz', '/readyz', '/metrics']) expect(doc.paths[path]?.get?.security, path).toEqual([]);
  });

  it('notices what it checks (a broken document is reported)', () => {
    const broken: Doc = {
      openapi: '2.0',
      info: { title: 't', version: '1' },
      security: [{ nope: [] }],
      paths: { '/a/{id}': { get: { parameters: [], responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } } },
    };
    expect(problemsOf(broken)).toEqual([
      'openapi version 2.0',
      'document: unknown security scheme nope',
      expect.stringMatching(/\$ref #\/components\/schemas\/Missing does not resolve/),
      'GET /a/{id}: path parameters do not match the template',
    ]);
  });
});
