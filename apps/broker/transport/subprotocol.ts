/**
 * WebSocket subprotocol choice: the highest STOMP subprotocol the client
 * offered, or none. An offer we cannot honour gets no echo (false), never an unrequested
 * one: Chrome fails when an offered protocol is not echoed, strict clients fail on an echo
 * they did not ask for, and OkHttp (StompProtocolAndroid) offers none by default.
 */
const PREFERENCE = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export function chooseSubprotocol(offered: Set<string>): string | false {
  for (const p of PREFERENCE) if (offered.has(p)) return p;
  return false;
}
