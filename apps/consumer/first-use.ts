/**
 * Development mode, before authentication exists (CREATE_ON_FIRST_USE): a room named by a
 * SEND's destination and the user named by its CONNECT login are created on first use, and
 * the sender becomes a member. Done by the consumer after the batch is stored, never on the
 * broker's SEND path, and never on the writers' path either: `note` only queues the pairs it
 * has not seen and returns; one loop creates them in bulk (RoomDirectory.addMembers, one
 * statement per `batchPairs`), so a sender naming thousands of rooms cannot hold up another
 * user's insert. Each created pair is remembered (bounded: cleared past `maxRemembered`).
 *
 * Bounds, each counted in stompbox_first_use_pairs_total by outcome:
 * - per sender, at most `roomsPerSenderPerMinute` new pairs a minute, as a token bucket
 *   ("rate_limited" past it);
 * - the queue, `maxQueued` pairs and `maxQueuedBytes` of ids ("dropped" past it).
 * Best effort throughout: a skipped, dropped or failed pair is not remembered, so the pair's
 * next message tries again; its messages are stored regardless.
 */
import type { Logger } from 'pino';
import type { MemberPair, RoomDirectory } from '../shared/store/room-directory';
import { idProblem } from '../shared/store/validate';
import type { OutboundMessage } from '../shared/message';
import { backoffMs } from '../shared/backoff';
import { sleep } from '../shared/sleep';
import type { ConsumerMetrics } from './consumer-metrics';

export interface FirstUseOptions {
  roomsPerSenderPerMinute: number;
  maxQueued: number;
  maxQueuedBytes: number;
  batchPairs: number;
  maxRemembered?: number;
}

interface Queued extends MemberPair {
  key: string;
  bytes: number;
}

/** Between attempts while the database fails (the failed batch itself is not retried). */
const FAILURE_BACKOFF = { baseMs: 100, maxMs: 5_000 };
/** At most one warning per this interval for each kind of skipped work. */
const WARN_EVERY_MS = 10_000;

export class FirstUseDirectory {
  private readonly known = new Set<string>();
  private readonly queued = new Map<string, Queued>();
  private readonly inFlight = new Set<string>();
  private queuedBytes = 0;
  private readonly budget: SenderBudget;
  private running: Promise<void> | null = null;
  private closing = false;
  private stopAt = Infinity;
  private failures = 0;
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly store: RoomDirectory,
    private readonly opts: FirstUseOptions,
    private readonly logger: Logger,
    private readonly m: ConsumerMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.budget = new SenderBudget(opts.roomsPerSenderPerMinute, now);
  }

  /** Queue the pairs of stored messages not yet created. Never waits. */
  note(msgs: ReadonlyArray<Pick<OutboundMessage, 'roomId' | 'senderId'>>): void {
    if (this.closing) return;
    for (const msg of msgs) {
      if (msg.roomId === null) continue;
      const key = msg.roomId + '\u0000' + msg.senderId;
      if (this.known.has(key) || this.queued.has(key) || this.inFlight.has(key)) continue;
      if (idProblem('roomId', msg.roomId) || idProblem('userId', msg.senderId)) {
        this.remember(key); // the store would refuse it every time
        this.m.firstUsePairs.inc({ outcome: 'invalid' });
        continue;
      }
      const bytes = Buffer.byteLength(msg.roomId) + Buffer.byteLength(msg.senderId);
      if (this.queued.size >= this.opts.maxQueued || this.queuedBytes + bytes > this.opts.maxQueuedBytes) {
        this.m.firstUsePairs.inc({ outcome: 'dropped' });
        this.warn('dropped', { queued: this.queued.size, bytes: this.queuedBytes }, 'first-use queue full; skipping room creation for now (retried with the next message)');
        continue;
      }
      if (!this.budget.take(msg.senderId)) {
        this.m.firstUsePairs.inc({ outcome: 'rate_limited' });
        this.warn(`limit:${msg.senderId}`, { userId: msg.senderId, perMinute: this.opts.roomsPerSenderPerMinute }, 'sender past its first-use room limit; message stored, room not created');
        continue;
      }
      this.queued.set(key, { key, roomId: msg.roomId, userId: msg.senderId, bytes });
      this.queuedBytes += bytes;
    }
    this.m.firstUseQueued.set(this.queued.size);
    this.kick();
  }

  /** Pairs queued or being created. */
  backlog(): number {
    return this.queued.size + this.inFlight.size;
  }

  /** Stop queueing; create what is queued until `deadline`, then drop the rest. */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    this.stopAt = deadline;
    while (this.running) await this.running;
    if (this.queued.size > 0) {
      this.m.firstUsePairs.inc({ outcome: 'dropped' }, this.queued.size);
      this.logger.warn({ pairs: this.queued.size }, 'first-use pairs not created before shutdown (created with their next message)');
      this.queued.clear();
      this.queuedBytes = 0;
      this.m.firstUseQueued.set(0);
    }
  }

  private kick(): void {
    if (this.running || this.queued.size === 0) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (!this.closing) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queued.size > 0 && this.now() < this.stopAt) {
      const batch: Queued[] = [];
      for (const q of this.queued.values()) {
        if (batch.length >= this.opts.batchPairs) break;
        batch.push(q);
      }
      for (const q of batch) {
        this.queued.delete(q.key);
        this.queuedBytes -= q.bytes;
        this.inFlight.add(q.key);
      }
      this.m.firstUseQueued.set(this.queued.size);
      try {
        const added = await this.store.addMembers(batch.map((q) => ({ roomId: q.roomId, userId: q.userId })));
        for (const q of batch) this.remember(q.key);
        this.m.firstUsePairs.inc({ outcome: 'added' }, added);
        this.m.firstUsePairs.inc({ outcome: 'existing' }, batch.length - added);
        if (this.failures > 0) this.logger.info({ failures: this.failures }, 'first-use room creation resumed');
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.m.firstUsePairs.inc({ outcome: 'failed' }, batch.length);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.logger.warn({ err: (err as Error).message, pairs: batch.length, failures: this.failures }, 'could not create rooms/users on first use; retried with their next message');
        }
        await sleep(Math.min(backoffMs(this.failures, FAILURE_BACKOFF), Math.max(0, this.stopAt - this.now())));
      } finally {
        this.inFlight.clear();
      }
    }
  }

  private remember(key: string): void {
    if (this.known.size >= (this.opts.maxRemembered ?? 100_000)) this.known.clear();
    this.known.add(key);
  }

  private warn(kind: string, detail: Record<string, unknown>, msg: string): void {
    const t = this.now();
    if (t - (this.warnedAt.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    if (this.warnedAt.size >= 1_000) this.warnedAt.clear();
    this.warnedAt.set(kind, t);
    this.logger.warn(detail, msg);
  }
}

/**
 * New pairs each sender may still be given: a token bucket per sender holding at most
 * `perMinute`, refilled at `perMinute` a minute, so a burst gets the full allowance and then a
 * steady trickle (no doubling at the edge of a fixed window). A full bucket is the same as none,
 * so those are forgotten whenever the map grows past `pruneAt`.
 */
class SenderBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private pruneAt = 10_000;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  take(sender: string): boolean {
    const t = this.now();
    const b = this.buckets.get(sender);
    const tokens = b ? this.refilled(b, t) : this.perMinute;
    const ok = tokens >= 1;
    this.buckets.set(sender, { tokens: ok ? tokens - 1 : tokens, at: t });
    if (this.buckets.size > this.pruneAt) this.prune(t);
    return ok;
  }

  private refilled(b: { tokens: number; at: number }, t: number): number {
    return Math.min(this.perMinute, b.tokens + ((t - b.at) * this.perMinute) / 60_000);
  }

  private prune(t: number): void {
    for (const [sender, b] of this.buckets) if (this.refilled(b, t) >= this.perMinute) this.buckets.delete(sender);
    this.pruneAt = Math.max(10_000, this.buckets.size * 2);
  }
}
