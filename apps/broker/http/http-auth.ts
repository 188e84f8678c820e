/**
 * Who is calling the REST API. With a JWT configured, `Authorization: Bearer <jwt>` checked by
 * the same authenticator as CONNECT (one verification: keys, algorithms, issuer, audience,
 * expiry, the admin role). In development mode (loopback clients only) the caller names
 * itself: an `x-user` header or `?user=`; naming nobody is the local operator, an admin, as
 * the API was before it had users.
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../shared/http/http-errors';
import { StompProtocolError } from '../../shared/stomp/errors';
import { USER_ID, type Authenticator } from '../session/authenticator';
import { bearerToken } from '../session/bearer-token';
import type { RequestPrincipal } from './request-principal';

export interface HttpAuth {
  readonly mode: 'jwt' | 'development';
  /** The caller; rejects with HttpError 401 `unauthenticated` and the reason. */
  identify(request: FastifyRequest): Promise<RequestPrincipal>;
}

/** The user id development mode's operator acts as (the STOMP side's default login too). */
export const DEVELOPMENT_OPERATOR = 'anonymous';

const unauthenticated = (reason: string) => new HttpError(401, reason, 'unauthenticated');

export function httpAuthFor(auth: Authenticator): HttpAuth {
  return auth.mode === 'jwt' ? jwtHttpAuth(auth) : developmentHttpAuth;
}

export function jwtHttpAuth(auth: Authenticator): HttpAuth {
  return {
    mode: 'jwt',
    async identify(request) {
      const header = request.headers.authorization;
      if (header === undefined) throw unauthenticated('no token: send "Authorization: Bearer <jwt>"');
      const token = bearerToken(header);
      if (token === undefined) throw unauthenticated('the Authorization header must be "Bearer <jwt>"');
      try {
        // The authenticator takes a token from CONNECT headers or the upgrade request; handing it
        // as the latter verifies it exactly as a WebSocket client's.
        const p = await auth.authenticate({}, token);
        return { userId: p.userId, admin: p.admin === true };
      } catch (e) {
        if (e instanceof StompProtocolError) throw unauthenticated(e.message);
        throw e;
      }
    },
  };
}

export const developmentHttpAuth: HttpAuth = {
  mode: 'development',
  async identify(request) {
    const header = request.headers['x-user'];
    const query = (request.query as Record<string, unknown> | undefined)?.user;
    const named = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
    if (named === undefined) return { userId: DEVELOPMENT_OPERATOR, admin: true };
    if (!USER_ID.test(named)) throw unauthenticated(`x-user must be 1-128 of [A-Za-z0-9_-.@], got "${named.slice(0, 40)}"`);
    return { userId: named, admin: false };
  },
};
