/**
 * The broker's HTTP app for API tests: JWT mode with the test secret (tokens.ts) or
 * development mode, the REST API over a store, a recording MembershipEvents, and a helper that
 * calls it with a user's token.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../../shared/config';
import type { HttpApp, HttpPlugin } from '../../../shared/http/create-http-server';
import type { MembershipChange, MembershipEvents } from '../../../shared/membership/membership-events';
import type { Store } from '../../../shared/store/store';
import { jwtAuthenticator } from '../../session/jwt-authenticator';
import { hsToken, TEST_SECRET } from '../../testing/tokens';
import type { ApiRateLimit } from '../api-guard';
import { developmentHttpAuth, jwtHttpAuth } from '../http-auth';
import { buildBrokerHttp } from '../http-server';
import { restApi, type RestApiDeps } from '../rest-api';

export const testJwtAuth = () =>
  jwtHttpAuth(jwtAuthenticator({ key: new TextEncoder().encode(TEST_SECRET), clockSkewS: 0, expiryGraceS: -1 }));

/** MembershipEvents that records what was published. */
export class RecordingEvents implements MembershipEvents {
  readonly kind = 'recording';
  readonly published: MembershipChange[] = [];
  fail = false;
  async publish(change: MembershipChange): Promise<void> {
    if (this.fail) throw new Error('bus down');
    this.published.push(change);
  }
  subscribe(): () => void {
    return () => {};
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface ApiAppOptions extends Omit<RestApiDeps, 'store'> {
  mode?: 'jwt' | 'development';
  env?: Record<string, string>;
  rateLimit?: ApiRateLimit;
  /** Routes mounted besides the REST API (data scope). */
  extra?: HttpPlugin[];
  loopbackOnly?: boolean;
}

export function apiApp(store: Store, o: ApiAppOptions = {}): HttpApp {
  const config = loadConfig({ ...o.env });
  const mode = o.mode ?? 'jwt';
  return buildBrokerHttp({
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    notReady: () => [],
    loopbackOnly: o.loopbackOnly ?? mode === 'development',
    auth: mode === 'jwt' ? testJwtAuth() : developmentHttpAuth,
    rateLimit: o.rateLimit,
    routes: { data: [...restApi(config, { ...o, store }), ...(o.extra ?? [])] },
  });
}

/** A token for `user`; admins carry the role the way `npm run token -- --admin` writes it. */
export const tokenFor = (user: string, admin = false) => hsToken({ sub: user, claims: admin ? { roles: ['admin'] } : {} });

export interface Call {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** Call `app` as `user` (a token in the Authorization header); null: no credentials. */
export async function callAs(
  app: HttpApp,
  user: string | null,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object | string,
  o: { admin?: boolean; remote?: string; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...o.headers };
  if (user !== null) headers.authorization = `Bearer ${await tokenFor(user, o.admin)}`;
  if (payload !== undefined && typeof payload !== 'string') headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url, payload, headers, remoteAddress: o.remote });
  return { status: res.statusCode, body: res.body ? res.json() : null, headers: res.headers };
}
