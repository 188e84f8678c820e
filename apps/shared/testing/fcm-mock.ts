/**
 * A local stand-in for FCM's HTTP v1 endpoint (`POST /v1/projects/{id}/messages:send`) for
 * tests and the push benchmark, over either transport firebase-admin uses:
 * - 'h1' (default): plain HTTP/1.1. firebase-admin has no endpoint setting, so `agent()` gives
 *   an https.Agent whose connections are plain TCP to this server: with the app's `httpAgent`
 *   set to it and `messaging.enableLegacyHttpTransport()`, every send lands here.
 * - 'h2': HTTP/2 over TLS (a throw-away certificate for 127.0.0.1), what sendEach uses by
 *   default; `route()` is what `routeToMock` (fcm-mock-route.ts) needs to redirect it here.
 *   Like FCM it allows 100 concurrent streams per connection.
 * `credential()` hands out a fixed access token (no OAuth round trip).
 *
 * `reply` decides each answer (default: 200 with a message name); `latencyMs` delays every
 * answer; `record` keeps each request (token, message, time) for assertions. Both transports
 * answer through the same code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants as h2, createSecureServer, type Http2SecureServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Agent } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { MockRoute } from './fcm-mock-route';
import { testCert, type TestCert } from './test-cert';

export type FcmTransport = 'h1' | 'h2';

/** What FCM's front end allows per HTTP/2 connection (firebase-admin assumes the same). */
const FCM_MAX_STREAMS = 100;

export interface FcmRequest {
  projectId: string;
  token: string;
  /** The message as sent (token, notification, data, android, apns, ...). */
  message: Record<string, any>;
  at: number;
}

export interface FcmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** FCM's v1 error body: the google.rpc status plus the FcmError detail firebase-admin maps. */
export function fcmError(status: number, rpcStatus: string, message: string, fcmCode?: string): FcmReply {
  const details = fcmCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: fcmCode }] : [];
  return { status, body: { error: { code: status, message, status: rpcStatus, details } } };
}

export const FCM_ERRORS = {
  unregistered: () => fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'),
  invalidToken: () => fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT'),
  tooBig: () => fcmError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument: message is too big', 'INVALID_ARGUMENT'),
  senderMismatch: () => fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'),
  quota: () => fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', 'QUOTA_EXCEEDED'),
  unavailable: (retryAfterS?: number) => ({ ...fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'), headers: retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) } }),
  internal: () => fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
};

export class FcmMock {
  readonly requests: FcmRequest[] = [];
  /** Requests answered, by HTTP status. */
  readonly statuses = new Map<number, number>();
  received = 0;
  reply: (req: FcmRequest) => FcmReply | Promise<FcmReply> = () => ({ status: 200 });
  latencyMs = 0;
  record = true;
  private server: Server | Http2SecureServer | null = null;
  /** Where it listens (after start). */
  port = 0;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();

  /** `tls`: the 'h2' server's key and certificate (default: this process's testCert()). */
  constructor(readonly transport: FcmTransport = 'h1', private readonly tls: TestCert = transport === 'h2' ? testCert() : { key: '', cert: '' }) {}

  async start(): Promise<this> {
    const server = this.transport === 'h2' ? this.h2Server() : this.h1Server();
    this.server = server;
    // A deep accept backlog: thousands of client sockets connect at once (else SYNs are dropped and retried after 1 s+).
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 8_192 }, resolve));
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  private h1Server(): Server {
    const server = createServer((req, res) => void this.h1(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private h2Server(): Http2SecureServer {
    const { key, cert } = this.tls;
    const server = createSecureServer({ key, cert, settings: { maxConcurrentStreams: FCM_MAX_STREAMS } });
    server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    server.on('stream', (stream, headers) => void this.h2(stream, headers));
    return server;
  }

  /** An https.Agent whose every connection is plain TCP to this mock (keep-alive, `maxSockets` at once). */
  agent(maxSockets = 1_000): Agent {
    return FcmMock.agentTo(this.port, maxSockets);
  }

  /** The agent of `agent()` for a mock in another process. */
  static agentTo(port: number, maxSockets = 1_000): Agent {
    const a = new (class extends Agent {
      override createConnection(): Socket {
        return connect(port, '127.0.0.1');
      }
    })({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    return a;
  }

  /** Where firebase-admin's HTTP/2 sessions must go to reach this mock ('h2' only). */
  route(): MockRoute {
    return FcmMock.routeTo(this.port, this.tls.cert);
  }

  /** The route of `route()` for an 'h2' mock in another process, started with the certificate `ca`. */
  static routeTo(port: number, ca: string): MockRoute {
    return { port, ca };
  }

  /** A firebase-admin Credential that needs no network. */
  credential() {
    return { getAccessToken: async () => ({ access_token: 'mock-access-token', expires_in: 3_600 }) };
  }

  /** Recorded requests for one token. */
  to(token: string): FcmRequest[] {
    return this.requests.filter((r) => r.token === token);
  }

  private async h1(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const a = await this.answer(req.method ?? '', req.url ?? '', req.headers.authorization, chunks);
    res.writeHead(a.status, a.headers);
    res.end(a.body);
  }

  private async h2(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const c of stream) chunks.push(c as Buffer);
    } catch {
      return; // the client reset the stream
    }
    const a = await this.answer(String(headers[h2.HTTP2_HEADER_METHOD]), String(headers[h2.HTTP2_HEADER_PATH]), headers.authorization, chunks);
    if (stream.destroyed || stream.closed) return;
    stream.respond({ [h2.HTTP2_HEADER_STATUS]: a.status, ...a.headers });
    stream.end(a.body);
  }

  /** The answer to one request, whatever the transport. */
  private async answer(method: string, url: string, authorization: string | undefined, chunks: Buffer[]): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url);
    let reply: FcmReply;
    let parsed: FcmRequest | null = null;
    if (method !== 'POST' || !m) reply = fcmError(404, 'NOT_FOUND', `no route ${method} ${url}`);
    else if (authorization !== 'Bearer mock-access-token') reply = fcmError(401, 'UNAUTHENTICATED', 'bad access token');
    else {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: Record<string, any> };
      parsed = { projectId: m[1], token: body.message.token, message: body.message, at: Date.now() };
      this.received++;
      if (this.record) this.requests.push(parsed);
      reply = await this.reply(parsed);
    }
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const body = reply.status === 200 && reply.body === undefined && parsed ? { name: `projects/${parsed.projectId}/messages/${++this.next}` } : reply.body ?? {};
    this.statuses.set(reply.status, (this.statuses.get(reply.status) ?? 0) + 1);
    return { status: reply.status, headers: { 'content-type': 'application/json; charset=UTF-8', ...reply.headers }, body: JSON.stringify(body) };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const s of this.sessions) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}
