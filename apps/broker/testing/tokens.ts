/** Test tokens: HS256 with a test secret, or signed with any key (ES256 from a test JWKS). */
import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const TEST_SECRET = 'test-secret-of-at-least-32-bytes-0123456789';

export interface TokenOptions {
  sub?: string;
  /** Seconds from now (negative: already expired); null: no `exp`. */
  expiresIn?: number | null;
  /** Seconds from now for `nbf`. */
  notBefore?: number;
  issuer?: string;
  audience?: string;
  claims?: JWTPayload;
}

function build(o: TokenOptions): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(o.claims ?? {}).setIssuedAt(now);
  if (o.sub !== undefined) jwt.setSubject(o.sub);
  if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 3600));
  if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
  if (o.issuer !== undefined) jwt.setIssuer(o.issuer);
  if (o.audience !== undefined) jwt.setAudience(o.audience);
  return jwt;
}

export function hsToken(o: TokenOptions = {}, secret = TEST_SECRET): Promise<string> {
  return build({ sub: 'alice', ...o }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

export function signedToken(key: CryptoKey, alg: string, kid: string, o: TokenOptions = {}): Promise<string> {
  return build({ sub: 'alice', ...o }).setProtectedHeader({ alg, kid }).sign(key);
}
