/**
 * Authentication with a JWT on CONNECT (token source: bearer-token.ts). The signature is
 * checked with jose: HS256 with a shared secret, or RS256 / ES256 with a key from the
 * issuer's JWKS (jwks.ts). `exp` and `sub` are required, `nbf` is checked when present, both
 * with a clock tolerance, and `iss` / `aud` when configured. The subject is the user id.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { Principal } from '../hub/access-policy';
import { USER_ID, type Authenticator } from './authenticator';
import { connectToken } from './bearer-token';

export interface JwtAuthOptions {
  /** HS256 shared secret, or a key resolver for RS256 / ES256 (jwks.ts). */
  key: Uint8Array | JWTVerifyGetKey;
  issuer?: string;
  audience?: string | string[];
  /** Tolerance for `exp` and `nbf`, in seconds. */
  clockSkewS: number;
  /** The connection ends this long after `exp`; -1: it is not ended at expiry. */
  expiryGraceS: number;
}

export function jwtAuthenticator(o: JwtAuthOptions): Authenticator {
  const verify: JWTVerifyOptions = {
    // Pinning the algorithms keeps a token from choosing how it is checked (RFC 8725 3.1).
    algorithms: o.key instanceof Uint8Array ? ['HS256'] : ['RS256', 'ES256'],
    issuer: o.issuer,
    audience: o.audience,
    clockTolerance: o.clockSkewS,
    // A token without `exp` would be a credential valid forever.
    requiredClaims: ['exp', 'sub'],
  };
  const check = async (token: string): Promise<JWTPayload> => {
    try {
      const { payload } =
        o.key instanceof Uint8Array ? await jwtVerify(token, o.key, verify) : await jwtVerify(token, o.key, verify);
      return payload;
    } catch (e) {
      throw new StompProtocolError('unauthenticated', reasonFor(e));
    }
  };
  return {
    mode: 'jwt',
    authenticate(headers, upgradeToken): Promise<Principal> {
      const token = connectToken(headers, upgradeToken);
      if (!token) {
        throw new StompProtocolError(
          'unauthenticated',
          'no token: send it as the CONNECT passcode, as a CONNECT "Authorization: Bearer" header, or on the WebSocket upgrade',
        );
      }
      return check(token).then((payload) => {
        const sub = payload.sub!;
        if (!USER_ID.test(sub)) {
          throw new StompProtocolError('unauthenticated', `token subject must be 1-128 of [A-Za-z0-9_-.@], got "${sub.slice(0, 40)}"`);
        }
        const principal: Principal = { userId: sub };
        if (Array.isArray(payload.roles) && payload.roles.includes('admin')) principal.admin = true;
        if (o.expiryGraceS >= 0) principal.expiresAt = (payload.exp! + o.expiryGraceS) * 1000;
        return principal;
      });
    },
  };
}

/** The client-facing reason: jose's messages name the failed check and never echo the token. */
function reasonFor(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token expired ("exp" is past)';
  if (e instanceof errors.JOSEError) return `invalid token: ${e.message}`;
  // Anything else is the key set's fetch failing (network, bad JSON): not the client's fault.
  return 'the token could not be verified: the issuer\'s key set is unavailable';
}
