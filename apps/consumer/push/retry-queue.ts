/**
 * Pushes waiting for another try, in memory, ordered by when they are due. Bounded by the
 * tokens they hold: the consumer takes no new pack while `full()`, so RabbitMQ (or the
 * in-process twin) holds the rest and nothing is dropped.
 */
import type { BaseMessage } from 'firebase-admin/messaging';
import { backoffMs } from '../../shared/backoff';
import type { RetryReason } from './fcm-outcome';
import type { PushContent } from './push-payload';

export interface PushJob {
  content: PushContent;
  message: BaseMessage;
  tokens: string[];
  /** Sends made so far to these tokens. */
  attempt: number;
  /** The text-free fallback payload (minimalPush). */
  minimal: boolean;
  /** Why the last send failed (for the dead letter). */
  lastReason?: RetryReason;
  lastDetail?: string;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** QUOTA_EXCEEDED waits at least this long, then doubles like the rest. */
  quotaMinMs: number;
}

/** Delay before send number `attempt + 1` of a push whose `attempt`-th send failed. */
export function retryDelayMs(attempt: number, quota: boolean, p: RetryPolicy): number {
  const base = quota ? Math.max(p.quotaMinMs, p.baseMs) : p.baseMs;
  const d = backoffMs(attempt - 1, { baseMs: base, maxMs: Math.max(p.maxMs, base), jitter: 0.2 });
  return quota ? Math.max(p.quotaMinMs, d) : d;
}

export class RetryQueue {
  private readonly jobs: Array<{ dueAt: number; job: PushJob }> = [];
  private held = 0;
  /** Most tokens held at once since start (the bound's witness in tests and status). */
  peak = 0;
  /** Told after every add (the consumer arms its timer for the new due time). */
  onAdded: () => void = () => {};

  constructor(
    private readonly maxTokens: number,
    private readonly onDepth: (tokens: number) => void = () => {},
  ) {}

  add(job: PushJob, dueAt: number): void {
    // Binary search for the first entry due later: equal times keep arrival order.
    let lo = 0;
    let hi = this.jobs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.jobs[mid].dueAt <= dueAt) lo = mid + 1;
      else hi = mid;
    }
    this.jobs.splice(lo, 0, { dueAt, job });
    this.move(job.tokens.length);
    this.onAdded();
  }

  /** Jobs due by `now` (all of them with `all`), removed, earliest first. */
  takeDue(now: number, all = false): PushJob[] {
    let n = 0;
    while (n < this.jobs.length && (all || this.jobs[n].dueAt <= now)) n++;
    const out = this.jobs.splice(0, n).map((e) => e.job);
    for (const j of out) this.move(-j.tokens.length);
    return out;
  }

  nextDueAt(): number | null {
    return this.jobs.length > 0 ? this.jobs[0].dueAt : null;
  }

  tokens(): number {
    return this.held;
  }

  full(): boolean {
    return this.held >= this.maxTokens;
  }

  private move(d: number): void {
    this.held += d;
    if (this.held > this.peak) this.peak = this.held;
    this.onDepth(this.held);
  }
}
