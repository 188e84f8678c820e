/**
 * Who an API request acts for, set by the data routes' authentication hook (api-guard.ts)
 * before any handler runs.
 */
import type { FastifyRequest } from 'fastify';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { HttpError } from '../../shared/http/http-errors';

export interface RequestPrincipal {
  userId: string;
  /** May manage any room and read any room (the token's admin role). */
  admin: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook of the data routes; null elsewhere. */
    principal: RequestPrincipal | null;
  }
}

/** The caller of a data route. A route mounted outside the guard has none: refused, never served anonymously. */
export function principalOf(request: FastifyRequest): RequestPrincipal {
  const p = request.principal;
  if (!p) throw new HttpError(401, 'this route is mounted without authentication', 'unauthenticated');
  return p;
}

/** Routes for admins only (operations data such as dead letters), in a scope of their own. */
export function adminOnly(plugin: HttpPlugin): HttpPlugin {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      if (!principalOf(request).admin) throw new HttpError(403, 'admins only', 'forbidden');
    });
    await app.register(plugin);
  };
}
