/**
 * A RabbitMQ connection that comes back by itself: amqplib never reconnects, so a lost
 * connection (RabbitMQ restarted, network gone) is reopened here. Each successful connect
 * runs `setup` (declare topology, open channels, start consumers); a lost connection calls
 * `onDown` once and schedules the next attempt with exponential backoff and jitter
 * (shared/backoff.ts). Used by the publisher and by the consumer.
 */
import amqp, { type ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { backoffMs } from '../backoff';
import { counter, gauge } from '../metrics';
import { TopologyMismatchError } from './amqp-topology';

export interface ReconnectOptions {
  url: string;
  /** Label for logs and metrics ("publisher", "consumer"). */
  role: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** AMQP heartbeat in seconds (detects a dead peer); default 10. */
  heartbeatSec?: number;
  /**
   * Send small frames at once instead of waiting for the peer's ACK (TCP_NODELAY; amqplib's
   * default is off). Latency-bound users (the cluster's live fan-out) turn it on: with it off a
   * lone pack waits for the delayed ACK, tens of milliseconds.
   */
  noDelay?: boolean;
}

export class ReconnectingAmqp {
  private conn: ChannelModel | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private firstConnect: { resolve(): void; promise: Promise<void> };
  private readonly mReconnects;
  private readonly mConnected;

  constructor(
    private readonly opts: ReconnectOptions,
    private readonly setup: (conn: ChannelModel) => Promise<void>,
    private readonly onDown: (err?: Error) => void,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstConnect = { resolve, promise };
    this.mReconnects = counter(registry, 'stompbox_amqp_connect_attempts_total', 'RabbitMQ connection attempts, by role and result', ['role', 'result']);
    this.mConnected = gauge(registry, 'stompbox_amqp_connected', '1 while connected to RabbitMQ', ['role']);
  }

  /** Start connecting; resolves once connected, or after `waitMs` (connecting goes on). */
  async start(waitMs: number): Promise<boolean> {
    void this.connect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, waitMs)));
    await Promise.race([this.firstConnect.promise, timeout]);
    clearTimeout(timer);
    return this.conn !== null;
  }

  get connection(): ChannelModel | null {
    return this.conn;
  }

  /** Drop the current connection (e.g. after a channel error) and reconnect. */
  reset(reason: string): void {
    const c = this.conn;
    if (!c) return;
    this.logger.warn({ role: this.opts.role, reason }, 'resetting RabbitMQ connection');
    c.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.conn;
    this.conn = null;
    if (c) await c.close().catch(() => undefined);
    this.mConnected.set({ role: this.opts.role }, 0);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.attempt++;
    let c: ChannelModel | null = null;
    try {
      const url = new URL(this.opts.url);
      if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.opts.heartbeatSec ?? 10));
      c = await amqp.connect(url.toString(), this.opts.noDelay ? { noDelay: true } : undefined);
      if (this.stopped) {
        await c.close().catch(() => undefined);
        return;
      }
      const conn = c;
      let down = false;
      const lost = (err?: Error) => {
        if (down) return;
        down = true;
        if (this.conn === conn) this.conn = null;
        this.mConnected.set({ role: this.opts.role }, 0);
        if (this.stopped) return;
        this.logger.warn({ role: this.opts.role, err: err?.message }, 'RabbitMQ connection lost; reconnecting');
        this.onDown(err);
        this.schedule();
      };
      conn.on('error', (err: Error) => this.logger.warn({ role: this.opts.role, err: err.message }, 'RabbitMQ connection error'));
      conn.on('close', (err?: Error) => lost(err));
      this.conn = conn;
      await this.setup(conn);
      if (down) return; // lost during setup: already rescheduled
      this.attempt = 0;
      this.mReconnects.inc({ role: this.opts.role, result: 'ok' });
      this.mConnected.set({ role: this.opts.role }, 1);
      this.logger.info({ role: this.opts.role }, 'connected to RabbitMQ');
      this.firstConnect.resolve();
    } catch (err) {
      this.mReconnects.inc({ role: this.opts.role, result: 'failed' });
      // A queue declared with other arguments fails every attempt until an operator acts.
      const level = err instanceof TopologyMismatchError ? 'error' : 'warn';
      this.logger[level]({ role: this.opts.role, err: (err as Error).message, attempt: this.attempt }, 'RabbitMQ connect failed');
      if (c) {
        // Setup failed on an open connection: closing it triggers `lost`, which reschedules.
        if (this.conn === c) {
          c.close().catch(() => undefined);
          return;
        }
      }
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = backoffMs(this.attempt, { baseMs: this.opts.initialDelayMs ?? 100, maxMs: this.opts.maxDelayMs ?? 2_000 });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
    this.timer.unref?.();
  }
}
