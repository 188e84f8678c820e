/**
 * Where a request comes from, checked before it may act: a web page on another site must
 * not use a developer's broker through their browser (cross-site WebSocket or form posts), and
 * in development mode a DNS name rebound to 127.0.0.1 must not reach loopback-only routes.
 *
 * - `Origin` (sent by browsers on WebSocket upgrades and cross-site requests): allowed when it
 *   is the broker's own origin (its host equals the request's `Host`) or listed in
 *   ALLOWED_ORIGINS. No `Origin` at all is allowed: Android apps (OkHttp), JMeter and server
 *   clients send none, and a browser always sends one on a WebSocket upgrade.
 * - `Host`, in loopback-only mode: must name this machine (localhost, 127.0.0.1, [::1]), so a
 *   page served from a rebound name cannot talk to it.
 */
import { normaliseOrigin } from '../shared/http/origins';

export interface OriginRules {
  /** Origins allowed besides the broker's own, normalised (`scheme://host[:port]`, lower case). */
  allowedOrigins: ReadonlySet<string>;
  /** Development mode's loopback rule is on: Host must name this machine. */
  loopbackHostOnly: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a request may not proceed, or null when it may. */
export function refusalFor(headers: { origin?: string; host?: string }, rules: OriginRules): { code: string; reason: string } | null {
  const host = headers.host?.toLowerCase();
  if (rules.loopbackHostOnly && !isLoopbackHost(host)) {
    return { code: 'host-not-allowed', reason: `no authentication configured: only requests addressed to this machine (localhost) are served, not to "${host ?? ''}"` };
  }
  const origin = headers.origin;
  if (origin === undefined) return null;
  const o = normaliseOrigin(origin);
  if (o !== null && (rules.allowedOrigins.has(o) || sameOrigin(o, host))) return null;
  return { code: 'origin-not-allowed', reason: `origin "${origin.slice(0, 100)}" is not allowed (same origin or ALLOWED_ORIGINS only)` };
}

/** The page came from this server: the origin's host (port included, default ports dropped) is the request's Host. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const url = new URL(origin);
  try {
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  // Strip the port: "localhost:8080", "[::1]:8080".
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_HOSTS.has(name);
}
