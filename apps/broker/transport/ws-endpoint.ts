/**
 * The WebSocket endpoint: decides whether an HTTP upgrade on the broker's port becomes a
 * STOMP connection (path, draining, connection limit, the development-mode loopback rule),
 * then hands the socket to a Connection. Owns the set of live connections and their drain.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { BrokerMetrics } from '../broker-metrics';
import { isLoopback } from '../loopback';
import { refusalFor, type OriginRules } from '../request-origin';
import { bearerToken } from '../session/bearer-token';
import type { HeartbeatPolicy } from '../session/negotiate';
import type { SessionContext } from '../session/session';
import { Connection, type ConnectionDeps, type TransportLimits } from './connection';
import { BufferBudget, type BufferBudgetOptions } from './buffer-budget';
import { HeartbeatWheel } from './heartbeat-wheel';
import { OutputBatcher } from './output-batcher';
import { chooseSubprotocol } from './subprotocol';

export interface WsEndpointOptions {
  path: string;
  maxConnections: number;
  /** ws's own limit on one WebSocket message; beyond it ws closes with 1009. */
  maxPayload: number;
  compression: boolean;
  /** Admit only loopback peers (development mode without ALLOW_REMOTE_WITHOUT_AUTH). */
  loopbackOnly: boolean;
  /** Origin and Host rules (a web page on another site must not use the broker through a browser). */
  origins: OriginRules;
  transport: TransportLimits;
  /** What all connections may buffer together (0: no process-wide budget). */
  budget: BufferBudgetOptions;
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

export class WsEndpoint {
  private readonly wss: WebSocketServer;
  private readonly batcher = new OutputBatcher();
  private readonly live = new Set<Connection>();
  private accepting = true;
  readonly budget: BufferBudget;
  /** Every connection's heart-beats, on one timer. */
  readonly heartbeats: HeartbeatWheel;
  private readonly deps: ConnectionDeps;

  constructor(
    private readonly opts: WsEndpointOptions,
    private readonly sessions: SessionContext,
    private readonly metrics: BrokerMetrics,
  ) {
    this.budget = new BufferBudget(opts.budget);
    this.heartbeats = new HeartbeatWheel(heartbeatTickMs(sessions.limits.heartbeat));
    // onGone is shared: a closure made per upgrade would keep its request (headers, URL)
    // alive as long as the connection.
    this.deps = {
      limits: opts.transport,
      batcher: this.batcher,
      heartbeats: this.heartbeats,
      budget: this.budget,
      metrics,
      onGone: (c) => {
        this.live.delete(c);
        this.budget.delete(c);
        this.metrics.openConnections = this.live.size;
      },
    };
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: opts.compression,
      maxPayload: opts.maxPayload,
      handleProtocols: (offered) => chooseSubprotocol(offered),
      clientTracking: false,
    });
  }

  get connections(): number {
    return this.live.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** The HTTP server's 'upgrade' listener. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', ignore);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const o = this.opts;
    if (url.pathname !== o.path) return this.reject(socket, 404, 'wrong-path', `the WebSocket endpoint is ${o.path}`);
    if (!this.accepting) return this.reject(socket, 503, 'shutting-down', 'the broker is shutting down');
    if (this.live.size >= o.maxConnections) return this.reject(socket, 503, 'too-many-connections', `MAX_CONNECTIONS (${o.maxConnections}) reached`);
    const remote = req.socket.remoteAddress ?? '';
    if (o.loopbackOnly && !isLoopback(remote)) {
      return this.reject(socket, 403, 'remote-without-auth', 'no authentication configured: only loopback clients are admitted (set ALLOW_REMOTE_WITHOUT_AUTH=true to override)');
    }
    const refused = refusalFor(req.headers, o.origins);
    if (refused) return this.reject(socket, 403, refused.code, refused.reason);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // A browser cannot set headers on a WebSocket upgrade, hence `?access_token=` (RFC 6750
      // 2.3); nothing here logs the request URL, which then holds a credential.
      const token = bearerToken(req.headers.authorization) ?? (url.searchParams.get('access_token') || undefined);
      const handshake = { remoteAddress: remote, subprotocol: ws.protocol || null, userAgent: req.headers['user-agent'], token };
      const conn = new Connection(ws, this.sessions, handshake, this.deps);
      this.live.add(conn);
      this.budget.add(conn);
      this.metrics.connectionsOpened++;
      this.metrics.openConnections = this.live.size;
    });
  };

  /**
   * Stop admitting, ask every client to go (1001 after what is queued), wait until they are
   * gone or the deadline passes, then end what is left.
   */
  async drain(deadline: number): Promise<void> {
    this.accepting = false;
    for (const c of this.live) c.goAway();
    while (this.live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.live) c.session.handleClose();
    this.budget.stop();
    this.heartbeats.stop();
    this.wss.close();
  }

  /** Refuse an upgrade with an HTTP status, a metric label and a reason in the body. */
  private reject(socket: Duplex, status: number, code: string, reason: string): void {
    this.metrics.rejected(code);
    const body = JSON.stringify({ error: code, reason });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}

function ignore(): void {}

/**
 * The wheel's tick: a tenth of the shortest heart-beat any connection can agree (each side's
 * configured value, floored at the minimum; a client can only ask for longer), at most 100 ms.
 */
export function heartbeatTickMs(p: HeartbeatPolicy): number {
  const periods = [p.serverSendMs, p.serverRecvMs].filter((ms) => ms > 0).map((ms) => Math.max(ms, p.minMs));
  if (periods.length === 0) return 100;
  return Math.max(1, Math.min(100, Math.floor(Math.min(...periods) / 10)));
}
