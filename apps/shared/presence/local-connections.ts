/**
 * This process's connections: a count per user (bounded by `maxUsers`), and the users whose
 * online state changed since the last write, so that one write carries a whole burst of
 * CONNECTs. Both presence implementations keep their process's state here.
 */
import type { PresenceChange } from './presence';
import type { PresenceMetrics } from './presence-metrics';

/** What one write must carry: taken from the pending changes, put back if the write fails. */
export interface PresenceBatch {
  /** Every user of this process is written (the store may have lost or never had them). */
  full: boolean;
  /** Users to report online, and to remove. */
  online: string[];
  offline: string[];
  /** Each changed user's state as last written, to put back on failure. */
  was: Map<string, boolean>;
  /** Transitions to announce once the batch is written (empty while nobody listens). */
  changes: PresenceChange[];
}

export class LocalConnections {
  private readonly counts = new Map<string, number>();
  private pending = new Map<string, boolean>();
  private fullPending = true;
  private readonly listeners = new Set<(changes: readonly PresenceChange[]) => void>();

  /** `onPending`: a change waits to be written (called once per change; the caller coalesces). */
  constructor(
    private readonly maxUsers: number,
    private readonly metrics: PresenceMetrics,
    private readonly onPending: () => void,
    private readonly onListenerError: (err: unknown) => void = () => undefined,
  ) {}

  /** Users with a live connection here. */
  get size(): number {
    return this.counts.size;
  }

  has(userId: string): boolean {
    return this.counts.has(userId);
  }

  users(): IterableIterator<string> {
    return this.counts.keys();
  }

  /** Something waits to be written. */
  get dirty(): boolean {
    return this.fullPending || this.pending.size > 0;
  }

  connected(userId: string): void {
    const n = this.counts.get(userId);
    if (n !== undefined) {
      this.counts.set(userId, n + 1);
      return;
    }
    if (this.counts.size >= this.maxUsers) {
      this.metrics.untracked.inc();
      return;
    }
    this.counts.set(userId, 1);
    this.metrics.users.inc();
    this.mark(userId, false);
  }

  disconnected(userId: string): void {
    const n = this.counts.get(userId);
    if (n === undefined) return; // over the cap when it connected, or not matched
    if (n > 1) {
      this.counts.set(userId, n - 1);
      return;
    }
    this.counts.delete(userId);
    this.metrics.users.dec();
    this.mark(userId, true);
  }

  /** The next write must carry every user (start, reconnect, the store lost this process's key). */
  requireFull(): void {
    this.fullPending = true;
    this.onPending();
  }

  /** Take what waits to be written. */
  take(): PresenceBatch {
    const was = this.pending;
    const full = this.fullPending;
    this.pending = new Map();
    this.fullPending = false;
    const online: string[] = [];
    const offline: string[] = [];
    if (full) online.push(...this.counts.keys());
    else for (const u of was.keys()) (this.counts.has(u) ? online : offline).push(u);
    const changes: PresenceChange[] = [];
    if (this.listeners.size > 0) {
      for (const [userId, before] of was) {
        const now = this.counts.has(userId);
        if (now !== before) changes.push({ userId, online: now });
      }
    }
    return { full, online, offline, was, changes };
  }

  /** A write failed: its changes wait again (their older "as written" state wins). */
  putBack(batch: PresenceBatch): void {
    if (batch.full) this.fullPending = true;
    for (const [u, before] of batch.was) this.pending.set(u, before);
    this.bound();
  }

  /** A write succeeded: tell the listeners. */
  announce(batch: PresenceBatch): void {
    if (batch.changes.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(batch.changes);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  onChange(listener: (changes: readonly PresenceChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget every connection (close): the gauge goes back down. */
  clear(): void {
    this.metrics.users.dec(this.counts.size);
    this.counts.clear();
    this.pending.clear();
  }

  private mark(userId: string, before: boolean): void {
    if (!this.pending.has(userId)) this.pending.set(userId, before);
    this.bound();
    this.onPending();
  }

  /**
   * While writes fail, departed users pile up in `pending`; past the cap they are dropped for a
   * full write instead (which needs no history), and their transitions go unannounced.
   */
  private bound(): void {
    if (this.pending.size <= this.maxUsers) return;
    this.pending.clear();
    this.fullPending = true;
  }
}
