/**
 * Pure CONNECT negotiation: version, heart-beats, and whether the peer is a restricted
 * header reader (StompProtocolAndroid). No I/O.
 */
import { StompProtocolError } from '../../shared/stomp/errors';
import { STOMP_VERSIONS, type Headers, type StompVersion } from '../../shared/stomp/frame';

/**
 * STOMP 1.2 "Protocol Negotiation": missing accept-version means 1.0; otherwise the
 * highest version both sides speak; none in common is an ERROR carrying our versions.
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion {
  if (acceptVersion === undefined) return '1.0';
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()));
  for (const v of STOMP_VERSIONS) if (offered.has(v)) return v;
  throw new StompProtocolError(
    'version-mismatch',
    `no common protocol version: client accepts "${acceptVersion}", server supports ${STOMP_VERSIONS.join(', ')}`,
    { version: [...STOMP_VERSIONS].reverse().join(',') },
  );
}

export interface HeartbeatPolicy {
  /** What the server offers to send (ms, 0 = never). */
  serverSendMs: number;
  /** What the server wants to receive (ms, 0 = nothing). */
  serverRecvMs: number;
  /** Floor for any agreed interval, so a client cannot make us tick every millisecond. */
  minMs: number;
}

export interface HeartbeatAgreement {
  /** Header value for CONNECTED. */
  header: string;
  /** Interval at which we send EOLs (0 = never). */
  sendMs: number;
  /** Interval at which the client promised to send (0 = no promise). */
  recvMs: number;
}

/** STOMP 1.2 "Heart-beating": each direction is max(offer, want) when both are non-zero. */
export function negotiateHeartbeat(value: string | undefined, policy: HeartbeatPolicy): HeartbeatAgreement {
  let cx = 0;
  let cy = 0;
  if (value !== undefined && value !== '') {
    const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
    if (!m) throw new StompProtocolError('bad-header-value', `heart-beat must be "cx,cy" with non-negative integers, got "${value}"`);
    cx = Number(m[1]);
    cy = Number(m[2]);
  }
  const sx = policy.serverSendMs > 0 ? Math.max(policy.serverSendMs, policy.minMs) : 0;
  const sy = policy.serverRecvMs > 0 ? Math.max(policy.serverRecvMs, policy.minMs) : 0;
  const sendMs = sx > 0 && cy > 0 ? Math.max(sx, cy, policy.minMs) : 0;
  const recvMs = sy > 0 && cx > 0 ? Math.max(sy, cx, policy.minMs) : 0;
  return { header: `${sx},${sy}`, sendMs, recvMs };
}

/** Header a client may set in CONNECT to say it cannot read arbitrary header values. */
export const RESTRICTED_HEADERS_FLAG = 'x-restricted-headers';

/** What the WebSocket upgrade told about the client. */
export interface UpgradeHints {
  /** Subprotocol agreed at upgrade, or null. */
  subprotocol: string | null;
  /** The upgrade request's User-Agent, if any. */
  userAgent?: string;
}

/** OkHttp names itself `okhttp/<version>` on every request unless the app overrides it. */
const OKHTTP_AGENT = /^okhttp\//i;

/**
 * StompProtocolAndroid reads a header line only if it matches `([^:\s]+)\s*:\s*([^:\s]+)`;
 * any other line makes its parser throw, and the app then ignores every later frame on
 * that connection (apps/README.md "Clients in the wild"). A connection is treated as such a
 * reader when its CONNECT says so (`x-restricted-headers:true`; `false` opts out of
 * everything below), or, when `detect` is on, when the upgrade came from OkHttp (the
 * library's transport, whatever subprotocol or `host` the app adds) or the handshake looks
 * like the library's default: accept-version exactly "1.1,1.2", no host, no subprotocol.
 */
export function isRestrictedReader(headers: Headers, hints: UpgradeHints, detect: boolean): boolean {
  const flag = headers[RESTRICTED_HEADERS_FLAG];
  if (flag !== undefined) return flag === 'true' || flag === '1';
  if (!detect) return false;
  if (hints.userAgent !== undefined && OKHTTP_AGENT.test(hints.userAgent)) return true;
  return headers['accept-version'] === '1.1,1.2' && headers.host === undefined && !hints.subprotocol;
}

/** True when StompProtocolAndroid's header regex accepts `name:value`. */
export function restrictedSafe(name: string, value: string): boolean {
  return SAFE.test(name) && SAFE.test(value);
}
const SAFE = /^[^:\s]+$/;
