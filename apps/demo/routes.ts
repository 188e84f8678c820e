/**
 * Serves the built demo page (apps/demo/dist, see build.ts) from the broker's HTTP port:
 * `/` and `/index.html`, the hashed bundles under `/assets/`, and `/demo/config.json`
 * (where the page finds the WebSocket path and the room template). Only file names made
 * of safe characters directly inside dist/assets are served, so no path can leave dist.
 * When the page is not built, `/` answers 503 saying how to build it.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendError, sendJson, type HttpRoute } from '../shared/http/router';

export const DEFAULT_DEMO_DIST = fileURLToPath(new URL('./dist', import.meta.url));

export interface DemoRouteOptions {
  /** WebSocket path the page connects to (config WS_PATH). */
  wsPath?: string;
  /** Room destination template (config ROOM_TEMPLATE). */
  roomTemplate?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** One path segment: no slashes, no leading dot (so no "..", no hidden files). */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

async function sendFile(req: IncomingMessage, res: ServerResponse, root: string, relative: string, cache: string): Promise<void> {
  const file = resolve(root, relative);
  if (!file.startsWith(resolve(root) + sep)) return sendError(res, 404, 'not found');
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!type) return sendError(res, 404, 'not found');
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') {
      return relative === 'index.html'
        ? sendError(res, 503, 'demo page not built: run `npm run build:demo`')
        : sendError(res, 404, 'not found');
    }
    throw e;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': data.length,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : data);
}

/** HTTP routes for the demo page; mount them on the broker (`startBroker({ routes })`). */
export function demoRoutes(distDir: string = DEFAULT_DEMO_DIST, opts: DemoRouteOptions = {}): HttpRoute[] {
  const config = { wsPath: opts.wsPath ?? '/ws', roomTemplate: opts.roomTemplate ?? '/topic/room.{roomId}' };
  const index: HttpRoute['handler'] = (req, res) => sendFile(req, res, distDir, 'index.html', 'no-cache');
  return [
    { method: 'GET', path: '/', handler: index },
    { method: 'GET', path: '/index.html', handler: index },
    {
      method: 'GET',
      path: /^\/assets\/(?<name>[^/]+)$/,
      handler: (req, res, params) => {
        let name: string;
        try {
          name = decodeURIComponent(params.name);
        } catch {
          return sendError(res, 400, 'bad path');
        }
        if (!SAFE_NAME.test(name)) return sendError(res, 404, 'not found');
        // Vite names bundles by content hash: safe to cache for good.
        return sendFile(req, res, distDir, join('assets', name), 'public, max-age=31536000, immutable');
      },
    },
    { method: 'GET', path: '/demo/config.json', handler: (_req, res) => sendJson(res, 200, config) },
  ];
}
