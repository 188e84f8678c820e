/**
 * In-process twin of presence (the embedded default: one process). A `PresenceBoard` stands in
 * for Redis: each instance is a "process" whose entry expires unless its timer refreshes it, so
 * the contract's multi-process and expiry cases run against the twin as well (instances
 * sharing one board). Changes are visible at once; listeners hear them on the next turn.
 */
import { Registry } from 'prom-client';
import type { Logger } from '../logger';
import { LocalConnections } from './local-connections';
import type { Presence, PresenceChange } from './presence';
import { presenceMetrics } from './presence-metrics';
import { checkTiming, type PresenceTiming } from './presence-timing';

/** What several twin instances share, as processes share Redis. */
export class PresenceBoard {
  private readonly entries = new Map<object, { local: LocalConnections; expiresAt: number }>();

  constructor(readonly now: () => number = Date.now) {}

  put(owner: object, local: LocalConnections, expiresAt: number): void {
    this.entries.set(owner, { local, expiresAt });
  }

  remove(owner: object): void {
    this.entries.delete(owner);
  }

  among(userIds: readonly string[]): Set<string> {
    const now = this.now();
    const out = new Set<string>();
    for (const [owner, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(owner);
        continue;
      }
      for (const u of userIds) if (e.local.has(u)) out.add(u);
    }
    return out;
  }
}

export interface MemoryPresenceOptions extends Partial<PresenceTiming> {
  /** Users tracked at most (PRESENCE_MAX_USERS_PER_PROCESS). */
  maxUsers?: number;
  /** Shared with other instances to model several processes (tests); default: a board of its own. */
  board?: PresenceBoard;
  registry?: Registry;
  logger?: Logger;
}

export class MemoryPresence implements Presence {
  readonly kind = 'memory';
  private readonly local: LocalConnections;
  private readonly board: PresenceBoard;
  private readonly timing: PresenceTiming;
  private refreshTimer: NodeJS.Timeout | null = null;
  private announceQueued = false;
  private started = false;

  constructor(opts: MemoryPresenceOptions = {}) {
    this.timing = checkTiming(opts);
    this.board = opts.board ?? new PresenceBoard();
    const metrics = presenceMetrics(opts.registry ?? new Registry(), this.kind);
    this.local = new LocalConnections(opts.maxUsers ?? 100_000, metrics, () => this.queueAnnounce(), (err) =>
      opts.logger?.warn({ err }, 'presence listener failed'),
    );
  }

  connected(userId: string, _connectionId: string): void {
    this.local.connected(userId);
  }

  disconnected(userId: string, _connectionId: string): void {
    this.local.disconnected(userId);
  }

  async onlineAmong(userIds: readonly string[]): Promise<Set<string>> {
    return this.board.among(userIds);
  }

  onChange(listener: (changes: readonly PresenceChange[]) => void): () => void {
    return this.local.onChange(listener);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.refresh();
    this.refreshTimer = setInterval(() => this.refresh(), this.timing.refreshMs);
    this.refreshTimer.unref();
  }

  /** Stop refreshing and leave the entry to expire, as a process killed with -9 would (fault tests). */
  abandon(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  async close(): Promise<void> {
    this.abandon();
    this.started = false;
    this.board.remove(this);
    this.local.clear();
  }

  private refresh(): void {
    this.board.put(this, this.local, this.board.now() + this.timing.expiryMs);
  }

  private queueAnnounce(): void {
    if (this.announceQueued) return;
    this.announceQueued = true;
    setImmediate(() => {
      this.announceQueued = false;
      this.local.announce(this.local.take());
    });
  }
}
