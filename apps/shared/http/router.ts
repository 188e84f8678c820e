/**
 * The broker's small HTTP surface shares its port with the WebSocket endpoint
 * (DESIGN.md "broker"). Routes are a flat table; each module contributes its own
 * (health/metrics here, history API and demo page elsewhere).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** Exact path ("/healthz") or a RegExp whose named groups become params. */
  path: string | RegExp;
  handler(req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL): void | Promise<void>;
}

/** Send JSON with a status code. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

/** 4xx/5xx with a reason, as the project rules ask. */
export function sendError(res: ServerResponse, status: number, reason: string): void {
  sendJson(res, status, { error: reason });
}

export function matchRoute(routes: HttpRoute[], method: string, pathname: string): { route: HttpRoute; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
    if (typeof route.path === 'string') {
      if (route.path === pathname) return { route, params: {} };
    } else {
      const m = route.path.exec(pathname);
      if (m) return { route, params: { ...(m.groups ?? {}) } };
    }
  }
  return null;
}
