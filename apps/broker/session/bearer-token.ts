/**
 * Where a connection's token comes from. CONNECT `passcode` first (what StompProtocolAndroid
 * and @stomp/stompjs apps set through connect headers), then a CONNECT `Authorization: Bearer`
 * header, then the WebSocket upgrade request's token (Handshake.token).
 */
import type { Headers } from '../../shared/stomp/frame';

/**
 * The token of an `Authorization` value `Bearer <token>` (RFC 6750 2.1; the scheme name is
 * case-insensitive, RFC 9110 11.1), or undefined for any other value.
 */
export function bearerToken(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^bearer +([^\s]+) *$/i.exec(value);
  return m ? m[1] : undefined;
}

/** The token a CONNECT presents, in the order above; undefined when there is none. */
export function connectToken(headers: Headers, upgradeToken: string | undefined): string | undefined {
  if (headers.passcode) return headers.passcode;
  // STOMP header names are case-sensitive; HTTP habit writes both spellings.
  const auth = headers.Authorization ?? headers.authorization;
  if (auth !== undefined) return bearerToken(auth) ?? '';
  return upgradeToken || undefined;
}
