/**
 * Serves the built demo page (apps/demo/dist, see build.ts) from the broker's HTTP port:
 * `/` and `/index.html`, the hashed bundles under `/assets/` (@fastify/static, rooted at
 * dist/assets, so no path reaches anything else in dist), and `/demo/config.json` (where
 * the page finds the WebSocket path and the room template). When the page is not built,
 * `/` answers 503 saying how to build it.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { HttpPlugin } from '../shared/http/create-http-server';
import { errorResponses, HttpError } from '../shared/http/http-errors';
import { projectPath } from '../shared/project-root';

export const DEFAULT_DEMO_DIST = projectPath('apps/demo/dist');

export interface DemoRouteOptions {
  /** WebSocket path the page connects to (config WS_PATH). */
  wsPath?: string;
  /** Room destination template (config ROOM_TEMPLATE). */
  roomTemplate?: string;
  /** How the page proves who it is: CONNECT login (development mode) or a token from POST /demo/token. */
  auth?: 'login' | 'token';
}

const DemoConfig = z
  .object({ wsPath: z.string(), roomTemplate: z.string(), auth: z.enum(['login', 'token']) })
  .describe('WebSocket path, room destination template, and how the page authenticates');

function securityHeaders(reply: FastifyReply, path: string): void {
  // The `mime` table @fastify/send uses still says application/javascript; text/javascript
  // is the registered type for JavaScript.
  if (path.endsWith('.js')) reply.header('content-type', 'text/javascript; charset=utf-8');
  reply.header('x-content-type-options', 'nosniff');
}

/** The demo page as a plugin; mount it on the broker (`startBroker({ routes: { public: [...] } })`). */
export function demoRoutes(distDir: string = DEFAULT_DEMO_DIST, opts: DemoRouteOptions = {}): HttpPlugin {
  const config = { wsPath: opts.wsPath ?? '/ws', roomTemplate: opts.roomTemplate ?? '/topic/room.{roomId}', auth: opts.auth ?? 'login' };

  return async (app) => {
    await app.register(fastifyStatic, {
      root: join(distDir, 'assets'),
      prefix: '/assets/',
      // @fastify/static serves dotfiles unless told otherwise.
      dotfiles: 'ignore',
      index: false,
      // Vite names bundles by content hash: safe to cache for good.
      maxAge: '365d',
      immutable: true,
      setHeaders: securityHeaders,
      // Not built yet is a normal state (see the 503 below), not worth a warning at start.
      suppressWarning: true,
    });

    const page = { schema: { summary: 'The demo chat page', tags: ['demo'], response: errorResponses(503) } };
    const index = async (_req: unknown, reply: FastifyReply) => {
      try {
        await access(join(distDir, 'index.html'));
      } catch {
        throw new HttpError(503, 'demo page not built: run `npm run build:demo`');
      }
      return reply.header('cache-control', 'no-cache').sendFile('index.html', distDir, { cacheControl: false });
    };
    app.get('/', page, index);
    app.get('/index.html', page, index);

    app.get(
      '/demo/config.json',
      { schema: { summary: 'Where the demo page connects: WebSocket path and room template', tags: ['demo'], response: { 200: DemoConfig } } },
      async () => config,
    );
  };
}
