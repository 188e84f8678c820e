/**
 * The issuer's keys for RS256 / ES256 tokens. jose's createRemoteJWKSet fetches the JWKS once,
 * shares one fetch between concurrent verifications, keeps the keys for `cacheMaxAge` and
 * refetches early only for a `kid` it does not know, at most once per `cooldownDuration`:
 * a CONNECT never costs a fetch of its own, and unknown `kid`s cannot make the broker hammer
 * the issuer.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export interface KeySetTiming {
  /** Minimum time between fetches triggered by an unknown `kid` (jose's default: 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again (jose's default: 10 min). */
  cacheMaxAgeMs?: number;
  /** A fetch that takes longer fails (jose's default: 5 s). */
  timeoutMs?: number;
}

export function remoteKeySet(url: string, t: KeySetTiming = {}): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), {
    cooldownDuration: t.cooldownMs,
    cacheMaxAge: t.cacheMaxAgeMs,
    timeoutDuration: t.timeoutMs,
  });
}
