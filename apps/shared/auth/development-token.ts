/**
 * Development tokens: HS256 JWTs signed with the configured JWT_SECRET, with JWT_ISSUER and
 * JWT_AUDIENCE when set, so the broker accepts them like any other. For `npm run token`, the
 * demo page's token route (DEMO_TOKENS) and the load tools; production issues its own.
 */
import { SignJWT } from 'jose';

export interface DevelopmentTokenOptions {
  secret: string;
  issuer?: string;
  audience?: string[];
  /** Adds `roles: ["admin"]`. */
  admin?: boolean;
  /** Lifetime in seconds (default one hour). */
  ttlS?: number;
}

export function developmentToken(userId: string, o: DevelopmentTokenOptions): Promise<string> {
  const jwt = new SignJWT(o.admin ? { roles: ['admin'] } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${o.ttlS ?? 3600}s`);
  if (o.issuer !== undefined) jwt.setIssuer(o.issuer);
  if (o.audience !== undefined) jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret));
}
