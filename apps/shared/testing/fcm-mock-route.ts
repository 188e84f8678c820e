/**
 * Points firebase-admin's HTTP/2 transport at a local FCM mock, for tests and benchmarks only.
 *
 * sendEach / sendEachForMulticast open one session per call with
 * `http2.connect('https://fcm.googleapis.com', opts)` (firebase-admin 13, Http2SessionHandler):
 * a fixed origin, no hook. They call `connect` through the shared `node:http2` module object at
 * call time, and synchronously inside sendEach, so `routeToMock` wraps that module's `connect`
 * once and redirects the FCM origin to the mock whose route is active during the synchronous part
 * of one messaging instance's sendEach. Other HTTP/2 connections, and messaging instances not
 * routed, go where they asked.
 */
import http2 from 'node:http2';
import type { Messaging } from 'firebase-admin/messaging';

export interface MockRoute {
  port: number;
  /** PEM the mock's certificate is signed with. */
  ca: string;
}

const FCM_ORIGIN = 'fcm.googleapis.com';
let active: MockRoute | null = null;
let wrapped = false;

function wrapConnect(): void {
  if (wrapped) return;
  wrapped = true;
  const original = http2.connect;
  const connect = (authority: string | URL, ...rest: unknown[]): http2.ClientHttp2Session => {
    const route = active;
    const host = typeof authority === 'string' ? new URL(authority).hostname : authority.hostname;
    if (!route || host !== FCM_ORIGIN) return (original as (...a: unknown[]) => http2.ClientHttp2Session)(authority, ...rest);
    const opts = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as http2.SecureClientSessionOptions) : {};
    const listener = typeof rest[0] === 'function' ? rest[0] : rest[1];
    const session = (original as (...a: unknown[]) => http2.ClientHttp2Session)(`https://127.0.0.1:${route.port}`, { ...opts, ca: route.ca }, listener);
    // firebase-admin sends `:scheme` as the URL's protocol, colon included ('https:'). Google's
    // front end takes it; nghttp2 in a Node server checks the scheme's syntax (RFC 9113 §8.3.1)
    // and resets the stream with PROTOCOL_ERROR. So the mock is given the bare scheme.
    const request = session.request.bind(session);
    session.request = (headers, ...more) => request(headers?.[':scheme'] === 'https:' ? { ...headers, ':scheme': 'https' } : headers, ...more);
    return session;
  };
  (http2 as { connect: typeof http2.connect }).connect = connect as typeof http2.connect;
}

/** Make this messaging instance's sendEach (and so sendEachForMulticast) reach the mock over HTTP/2. */
export function routeToMock(messaging: Messaging, route: MockRoute): void {
  wrapConnect();
  const sendEach = messaging.sendEach;
  messaging.sendEach = function (this: Messaging, ...args: Parameters<Messaging['sendEach']>) {
    const before = active;
    active = route;
    try {
      return sendEach.apply(this, args);
    } finally {
      active = before;
    }
  };
}
