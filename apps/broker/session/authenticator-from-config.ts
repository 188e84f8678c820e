/**
 * The authenticator configuration asks for: JWT with JWT_SECRET (HS256) or JWT_JWKS_URL
 * (RS256 / ES256), else development mode. loadConfig refuses both at once.
 */
import type { Config } from '../../shared/config';
import { developmentAuthenticator, type Authenticator } from './authenticator';
import { remoteKeySet } from './jwks';
import { jwtAuthenticator } from './jwt-authenticator';

/** The mode the configuration asks for: a secret or a key set means JWT. */
export function authModeOf(c: Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL'>): Authenticator['mode'] {
  return c.JWT_SECRET !== undefined || c.JWT_JWKS_URL !== undefined ? 'jwt' : 'development';
}

export function authenticatorFromConfig(c: Config): Authenticator {
  const key = c.JWT_SECRET !== undefined ? new TextEncoder().encode(c.JWT_SECRET) : c.JWT_JWKS_URL !== undefined ? remoteKeySet(c.JWT_JWKS_URL) : null;
  if (key === null) return developmentAuthenticator;
  return jwtAuthenticator({
    key,
    issuer: c.JWT_ISSUER,
    audience: c.JWT_AUDIENCE,
    clockSkewS: c.JWT_CLOCK_SKEW_S,
    expiryGraceS: c.JWT_EXPIRY_GRACE_S,
  });
}

/** For the start-up log: which mode, and how tokens are checked (no secret). */
export function describeAuth(c: Config): Record<string, unknown> {
  if (authModeOf(c) === 'development') return { auth: 'development' };
  return {
    auth: 'jwt',
    keys: c.JWT_SECRET !== undefined ? 'HS256 shared secret' : `JWKS ${c.JWT_JWKS_URL}`,
    issuer: c.JWT_ISSUER ?? '(not checked)',
    audience: c.JWT_AUDIENCE?.join(',') ?? '(not checked)',
    clockSkewS: c.JWT_CLOCK_SKEW_S,
    expiryGraceS: c.JWT_EXPIRY_GRACE_S,
  };
}
