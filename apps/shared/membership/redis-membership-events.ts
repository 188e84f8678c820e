/**
 * Membership events over Redis pub/sub: one channel, a publishing connection, and a dedicated
 * subscriber connection (a subscribed connection can run nothing else). The publisher's own
 * listeners are told directly, so its cache is right even while Redis is away; the echo that
 * comes back through Redis is recognised by the instance's origin id and skipped.
 *
 * Pub/sub keeps nothing for a subscriber that is not connected, so after every reconnect the
 * subscriber subscribes again itself (not ioredis's automatic resubscription, which gives no
 * moment when the subscription is live) and then tells the resync listeners.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { closeOnce } from '../close-once';
import type { Logger } from '../logger';
import { counter, histogram } from '../metrics';
import { redisClient } from '../redis-client';
import { checkChange, decodeChange, encodeChange } from './membership-change';
import type { MembershipChange, MembershipEvents } from './membership-events';
import { Listeners } from './listeners';

export interface RedisMembershipEventsOptions {
  url: string;
  /** Pub/sub channel (MEMBERSHIP_CHANNEL). */
  channel?: string;
  /** A publish slower than this fails (MEMBERSHIP_PUBLISH_TIMEOUT_MS). */
  publishTimeoutMs?: number;
  registry?: Registry;
  logger?: Logger;
}

export class RedisMembershipEvents implements MembershipEvents {
  readonly kind = 'redis';
  /** Names this instance in its notices. */
  readonly origin = randomBytes(8).toString('hex');
  readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly changes: Listeners<[MembershipChange]>;
  private readonly resyncs: Listeners<[]>;
  private readonly mNotices;
  private readonly mResyncs;
  private readonly mPublishSeconds;

  constructor(private readonly opts: RedisMembershipEventsOptions) {
    this.channel = opts.channel ?? 'stompbox:membership';
    const onError = (err: unknown) => opts.logger?.warn({ err }, 'membership listener failed');
    this.changes = new Listeners(onError);
    this.resyncs = new Listeners(onError);
    const registry = opts.registry ?? new Registry();
    this.mNotices = counter(registry, 'stompbox_membership_notices_total', 'Membership notices, by result', ['result']);
    this.mResyncs = counter(registry, 'stompbox_membership_resyncs_total', 'Times listeners were told to drop everything after the subscriber reconnected');
    this.mPublishSeconds = histogram(registry, 'stompbox_membership_publish_seconds', 'Round trip of a membership PUBLISH', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
    this.pub = redisClient(opts.url, 'stompbox-membership-pub', { lazyConnect: true, commandTimeout: opts.publishTimeoutMs ?? 1_000 });
    this.sub = redisClient(opts.url, 'stompbox-membership-sub', { lazyConnect: true, autoResubscribe: false });
    this.pub.on('error', () => undefined); // failures surface as rejected publishes
    this.sub.on('error', () => undefined); // and as resyncs once it is back
    this.sub.on('messageBuffer', (_channel: Buffer, raw: Buffer) => this.receive(raw));
  }

  async publish(change: MembershipChange): Promise<void> {
    const c = checkChange(change);
    this.changes.emit(c);
    const stop = this.mPublishSeconds.startTimer();
    try {
      await this.pub.publish(this.channel, encodeChange(c, this.origin));
      stop();
      this.mNotices.inc({ result: 'published' });
    } catch (err) {
      this.mNotices.inc({ result: 'publish_failed' });
      throw err;
    }
  }

  subscribe(listener: (change: MembershipChange) => void): () => void {
    return this.changes.add(listener);
  }

  onResync(listener: () => void): () => void {
    return this.resyncs.add(listener);
  }

  /** Resolves once subscribed; rejects (and lets go of Redis) when Redis cannot be reached. */
  async start(): Promise<void> {
    try {
      await Promise.all([this.sub.connect(), this.pub.connect()]);
      await this.sub.subscribe(this.channel);
    } catch (err) {
      this.sub.disconnect();
      this.pub.disconnect();
      throw err;
    }
    this.sub.on('ready', () => void this.resubscribe());
  }

  readonly close = closeOnce(async () => {
    this.changes.clear();
    this.resyncs.clear();
    await Promise.all([this.pub, this.sub].map((r) => (r.status === 'ready' ? r.quit().then(() => undefined, () => r.disconnect()) : r.disconnect())));
  });

  private receive(raw: Buffer): void {
    const notice = decodeChange(raw);
    if (notice === null) {
      this.mNotices.inc({ result: 'invalid' });
      return;
    }
    if (notice.origin === this.origin) return; // told directly when published
    this.mNotices.inc({ result: 'received' });
    this.changes.emit(notice.change);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.sub.subscribe(this.channel);
    } catch (err) {
      this.opts.logger?.warn({ err }, 'membership: subscribing again failed; reconnecting');
      this.sub.disconnect(true);
      return;
    }
    this.mResyncs.inc();
    this.opts.logger?.info('membership: subscriber reconnected; access caches told to drop everything');
    this.resyncs.emit();
  }
}
