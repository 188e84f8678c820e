/**
 * Presence on Redis. Each process owns one hash, `<prefix>proc:<processId>` (user id → 1),
 * whose expiry it pushes forward on every refresh, and lists itself in the set `<prefix>procs`.
 * A process killed with -9 stops refreshing, its hash expires (Redis's own clock: no clock
 * skew between hosts), and `onlineAmong` stops seeing its users within the expiry.
 *
 * Writes never sit on a CONNECT path: `connected`/`disconnected` change a count in memory and
 * the users whose state changed are written together `flushMs` later, in one MULTI (absolute
 * HSET/HDEL, so a retried write is harmless). A refresh is the same MULTI with no users. After
 * a reconnect, or when the hash turns out to be gone (Redis restarted or emptied, or this
 * process stalled past the expiry), the whole hash is rewritten from memory.
 *
 * A refresh costs one small MULTI per process whatever its number of users; a query runs one
 * Lua script per `queryBatch` ids (presence-script.ts), all in one pipeline: one round trip.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { closeOnce } from '../close-once';
import type { Logger } from '../logger';
import { redisClient } from '../redis-client';
import { LocalConnections, type PresenceBatch } from './local-connections';
import type { Presence, PresenceChange } from './presence';
import { presenceMetrics, type PresenceMetrics } from './presence-metrics';
import { ONLINE_AMONG_LUA } from './presence-script';
import { checkTiming, type PresenceTiming } from './presence-timing';

export interface RedisPresenceOptions extends Partial<PresenceTiming> {
  url: string;
  /** Prefix of every key (PRESENCE_KEY_PREFIX). */
  keyPrefix?: string;
  /** This process's name in Redis; default host, pid and a random suffix. */
  processId?: string;
  /** Users tracked at most (PRESENCE_MAX_USERS_PER_PROCESS). */
  maxUsers?: number;
  /** Changes are written this long after the first of a batch (PRESENCE_FLUSH_MS). */
  flushMs?: number;
  /** Ids per script call in `onlineAmong` (PRESENCE_QUERY_BATCH); the Lua stack bounds it. */
  queryBatch?: number;
  /** A write or query slower than this fails (PRESENCE_TIMEOUT_MS). */
  timeoutMs?: number;
  registry?: Registry;
  logger?: Logger;
}

/** Users per HSET/HDEL inside a write. */
const WRITE_CHUNK = 500;

interface AmongCommand {
  presenceAmong(procsKey: string, hashPrefix: string, ...userIds: string[]): unknown;
}

export class RedisPresence implements Presence {
  readonly kind = 'redis';
  readonly processId: string;
  private readonly redis: Redis;
  private readonly local: LocalConnections;
  private readonly metrics: PresenceMetrics;
  private readonly timing: PresenceTiming;
  private readonly hashPrefix: string;
  private readonly hashKey: string;
  private readonly procsKey: string;
  private readonly flushMs: number;
  private readonly queryBatch: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private running = false;
  /** The last write left users in this process's hash: it should still be there. */
  private hashWritten = false;
  /** A write failed: wait for the next refresh (or a reconnect) instead of retrying per change. */
  private backingOff = false;
  private readyBefore = false;

  constructor(private readonly opts: RedisPresenceOptions) {
    this.timing = checkTiming(opts);
    const prefix = opts.keyPrefix ?? 'stompbox:presence:';
    this.processId = opts.processId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.hashPrefix = `${prefix}proc:`;
    this.hashKey = this.hashPrefix + this.processId;
    this.procsKey = `${prefix}procs`;
    this.flushMs = opts.flushMs ?? 20;
    this.queryBatch = Math.max(1, Math.min(opts.queryBatch ?? 500, 5_000));
    this.metrics = presenceMetrics(opts.registry ?? new Registry(), this.kind);
    this.local = new LocalConnections(opts.maxUsers ?? 100_000, this.metrics, () => this.schedule(), (err) =>
      opts.logger?.warn({ err }, 'presence listener failed'),
    );
    this.redis = redisClient(opts.url, 'stompbox-presence', { lazyConnect: true, commandTimeout: opts.timeoutMs ?? 1_000 });
    this.redis.defineCommand('presenceAmong', { numberOfKeys: 1, lua: ONLINE_AMONG_LUA });
    this.redis.on('error', () => undefined); // failures surface as failed writes and queries
    this.redis.on('ready', () => {
      // Redis may have restarted (empty, or an older file): rewrite everything at once.
      if (this.readyBefore) {
        this.backingOff = false;
        this.local.requireFull();
      }
      this.readyBefore = true;
    });
  }

  connected(userId: string, _connectionId: string): void {
    this.local.connected(userId);
  }

  disconnected(userId: string, _connectionId: string): void {
    this.local.disconnected(userId);
  }

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(userIds)];
    const out = new Set<string>();
    if (ids.length === 0) return out;
    const p = this.redis.pipeline();
    for (let i = 0; i < ids.length; i += this.queryBatch) {
      (p as unknown as AmongCommand).presenceAmong(this.procsKey, this.hashPrefix, ...ids.slice(i, i + this.queryBatch));
    }
    const stop = this.metrics.seconds.startTimer({ op: 'query' });
    const res = (await p.exec()) ?? [];
    stop();
    for (const [err, found] of res) {
      if (err) throw err;
      for (const u of found as string[]) out.add(u);
    }
    return out;
  }

  onChange(listener: (changes: readonly PresenceChange[]) => void): () => void {
    return this.local.onChange(listener);
  }

  /** Connects and writes this process's users; rejects (and stays stopped) when Redis cannot be reached. */
  async start(): Promise<void> {
    if (this.running) return;
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      await this.write();
      if (this.backingOff) throw new Error('presence: the first write to Redis failed');
    } catch (err) {
      this.redis.disconnect();
      throw err;
    }
    this.running = true;
    this.refreshTimer = setInterval(() => {
      this.backingOff = false;
      void this.write();
    }, this.timing.refreshMs);
    this.refreshTimer.unref();
    if (this.local.dirty) this.schedule();
  }

  /** Stop writing and drop the connection, leaving this process's entries to expire as a process killed with -9 would (fault tests). */
  abandon(): void {
    this.stopTimers();
    this.redis.disconnect();
  }

  readonly close = closeOnce(async () => {
    this.stopTimers();
    await this.writing;
    if (this.redis.status === 'ready') {
      // Leave at once rather than after the expiry.
      await this.redis.multi().del(this.hashKey).srem(this.procsKey, this.processId).exec().catch(() => undefined);
    }
    this.local.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  });

  private stopTimers(): void {
    this.running = false;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.refreshTimer = this.flushTimer = null;
  }

  private schedule(): void {
    if (!this.running || this.flushTimer || this.writing || this.backingOff) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.write();
    }, this.flushMs);
    this.flushTimer.unref();
  }

  /** One write at a time; changes made meanwhile go in the next one. Never rejects. */
  private write(): Promise<void> {
    this.writing ??= this.writeBatch(this.local.take()).finally(() => {
      this.writing = null;
      if (this.local.dirty) this.schedule();
    });
    return this.writing;
  }

  private async writeBatch(batch: PresenceBatch): Promise<void> {
    const { expiryMs } = this.timing;
    const m = this.redis.multi();
    m.pexpire(this.hashKey, expiryMs); // first: 0 means the hash was gone before this write
    if (batch.full) m.del(this.hashKey);
    for (let i = 0; i < batch.online.length; i += WRITE_CHUNK) {
      m.hset(this.hashKey, ...batch.online.slice(i, i + WRITE_CHUNK).flatMap((u) => [u, '1']));
    }
    for (let i = 0; i < batch.offline.length; i += WRITE_CHUNK) m.hdel(this.hashKey, ...batch.offline.slice(i, i + WRITE_CHUNK));
    m.pexpire(this.hashKey, expiryMs);
    m.sadd(this.procsKey, this.processId);
    m.pexpire(this.procsKey, expiryMs);
    m.exists(this.hashKey);
    const stop = this.metrics.seconds.startTimer({ op: 'write' });
    try {
      const res = await m.exec();
      if (!res) throw new Error('presence write discarded');
      for (const [err] of res) if (err) throw err;
      stop();
      const existed = res[0][1] === 1;
      if (this.hashWritten && !existed && !batch.full) this.local.requireFull();
      this.hashWritten = res[res.length - 1][1] === 1;
      if (batch.full) this.metrics.fullSyncs.inc();
      if (this.backingOff) this.opts.logger?.info('presence writes to Redis work again');
      this.backingOff = false;
      this.local.announce(batch);
    } catch (err) {
      this.local.putBack(batch);
      this.metrics.refreshFailures.inc();
      if (!this.backingOff) this.opts.logger?.warn({ err }, 'presence write to Redis failed; retrying at each refresh');
      this.backingOff = true;
    }
  }
}
