/**
 * Membership answers, cached per (room, user) in one broker process so that a SEND or
 * SUBSCRIBE looks the database up once, not every time. An answer is trusted for `ttlMs`;
 * a membership change announced by any process drops it at once (MembershipEvents). Past the
 * TTL a "member" answer is still given at once while one lookup refreshes it in the
 * background, so the SEND path never waits on the database once a sender is known; a
 * "not a member" answer is looked up again before it is given (a user just added must not
 * wait a TTL). Concurrent lookups of one pair share one query. Bounded by `maxEntries`
 * (the oldest entry goes first).
 */
import type { MembershipChange } from '../../shared/membership/membership-events';

export interface MembershipLookup {
  isMember(roomId: string, userId: string): Promise<boolean>;
}

export interface MembershipCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  member: boolean;
  at: number;
}

export interface MembershipCacheStats {
  hits: number;
  lookups: number;
  lookupFailures: number;
  evictions: number;
  invalidations: number;
}

const SEP = '\u0000';

export class MembershipCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** Bumped by every invalidation: a lookup that started before one may hold an old answer. */
  private epoch = 0;
  private readonly now: () => number;
  readonly stats: MembershipCacheStats = { hits: 0, lookups: 0, lookupFailures: 0, evictions: 0, invalidations: 0 };

  constructor(
    private readonly lookup: MembershipLookup,
    private readonly o: MembershipCacheOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The answer now when it is known, else a promise of it (rejects when the lookup fails). */
  isMember(roomId: string, userId: string): boolean | Promise<boolean> {
    const key = roomId + SEP + userId;
    const e = this.entries.get(key);
    if (e) {
      const fresh = this.now() - e.at < this.o.ttlMs;
      if (fresh || e.member) {
        this.stats.hits++;
        if (!fresh) void this.fetch(key, roomId, userId).catch(() => {});
        return e.member;
      }
    }
    return this.fetch(key, roomId, userId);
  }

  /** A membership changed somewhere: forget what it may have made wrong. */
  invalidate(change: MembershipChange): void {
    this.epoch++;
    this.stats.invalidations++;
    if (change.userId !== null) {
      const key = change.roomId + SEP + change.userId;
      this.entries.delete(key);
      this.inflight.delete(key);
      return;
    }
    // A whole room (deleted): rare, so a scan beats keeping a per-room index.
    const prefix = change.roomId + SEP;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
    for (const key of this.inflight.keys()) if (key.startsWith(prefix)) this.inflight.delete(key);
  }

  /** Notices may have been lost (the bus reconnected): trust nothing cached. */
  clear(): void {
    this.epoch++;
    this.stats.invalidations++;
    this.entries.clear();
    this.inflight.clear();
  }

  private fetch(key: string, roomId: string, userId: string): Promise<boolean> {
    const running = this.inflight.get(key);
    if (running) return running;
    const epoch = this.epoch;
    this.stats.lookups++;
    const p = this.lookup.isMember(roomId, userId).then(
      (member) => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
        if (epoch === this.epoch) this.store(key, member);
        return member;
      },
      (err: unknown) => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
        this.stats.lookupFailures++;
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  private store(key: string, member: boolean): void {
    // Re-insert so Map order is oldest-written first.
    this.entries.delete(key);
    this.entries.set(key, { member, at: this.now() });
    while (this.entries.size > this.o.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
      this.stats.evictions++;
    }
  }
}
