/**
 * PackingOffload: the Offload half shared by the RabbitMQ publisher and its in-process twin.
 * It gathers the messages of one event-loop turn into a pack (sealed on size, message count,
 * or at the next tick / after OFFLOAD_LINGER_MS), hands sealed packs to a PackTransport with
 * many in flight, and settles every message's promise when its pack is durably accepted.
 *
 * Bounds (never silent loss, never unbounded memory):
 * - at most `maxPending` messages / `maxPendingBytes` bytes accepted and not yet confirmed;
 *   beyond that `publish` throws OffloadFullError synchronously and the broker answers ERROR;
 * - a pack not confirmed within `timeoutMs` of being sealed is failed, buffered or in flight
 *   (its senders get an error instead of waiting forever while the backend is down or blocked).
 * Packs whose connection dropped before their confirm come back from the transport and are
 * sent again first, in order: a duplicate may reach the queue, never a gap; the consumer's
 * insert is idempotent on the message id.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { OffloadFullError, type Offload } from './offload';
import type { OutboundMessage } from '../message';
import { encodePack, messageSize } from './pack-codec';
import { closeOnce } from '../close-once';
import { counter, gauge, histogram } from '../metrics';

export interface SealedPack {
  /** Sequence number of the pack within this offload. */
  readonly seq: number;
  readonly count: number;
  readonly firstId: string;
  readonly lastId: string;
  /** Encoded pack (pack-codec.ts). */
  readonly body: Buffer;
  readonly sealedAt: number;
  /** Times the transport refused it (nack); the pack fails after `maxAttempts`. */
  attempts: number;
}

export interface TransportHooks {
  /** The transport can take packs again (connected, drained, unblocked). */
  writable(): void;
  /** Packs sent but never confirmed (connection lost): send them again, first, in this order. */
  returned(packs: SealedPack[]): void;
}

/** How sealed packs leave the process: RabbitMQ (amqp-offload.ts) or the in-process queue. */
export interface PackTransport {
  readonly kind: string;
  start(hooks: TransportHooks): Promise<void>;
  /** True when `send` may be called now. */
  canSend(): boolean;
  /**
   * Send one pack. `settle()` once durably accepted, `settle(err)` if refused (nack). A pack
   * lost with its connection is given back through `hooks.returned` instead of settled.
   */
  send(pack: SealedPack, settle: (err?: Error) => void): void;
  /** Connected and not blocked. */
  isReady(): boolean;
  close(): Promise<void>;
}

export interface PackingOptions {
  maxPending: number;
  maxPendingBytes: number;
  packMaxMessages: number;
  packMaxBytes: number;
  /** 0: seal at the next tick (setImmediate); else wait this long for more messages. */
  lingerMs: number;
  /** Fail a pack not confirmed this long after sealing. */
  timeoutMs: number;
  /** How long close() waits for outstanding confirms. */
  drainTimeoutMs: number;
  /** Nacks tolerated per pack before its messages fail. */
  maxAttempts?: number;
}

/**
 * One promise per pack, shared by all its messages: they are confirmed or fail together,
 * so a per-message promise would only add an allocation to every SEND.
 */
interface PackOutcome {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function packOutcome(): PackOutcome {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface PackState {
  msgs: OutboundMessage[];
  outcome: PackOutcome | null;
  bytes: number;
}

export class PackingOffload implements Offload {
  readonly kind: string;
  private open: PackState = { msgs: [], outcome: null, bytes: 0 };
  private readonly queue: SealedPack[] = [];
  /** Every sealed, unsettled pack by seq (Map order = seal order, oldest first). */
  private readonly unsettled = new Map<number, { outcome: PackOutcome; bytes: number; count: number; sealedAt: number }>();
  private seq = 0;
  private pendingCount = 0;
  private pendingBytes = 0;
  private flushScheduled = false;
  private closing = false;
  private started = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private drainWaiters: Array<() => void> = [];
  private readonly maxAttempts: number;

  private readonly mMessages;
  private readonly mPacks;
  private readonly mPackSize;
  private readonly mConfirmSeconds;
  private readonly mPending;
  private readonly mPendingBytes;
  private readonly mRequeued;

  constructor(
    private readonly transport: PackTransport,
    private readonly opts: PackingOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.kind = transport.kind;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.mMessages = counter(registry, 'stompbox_offload_messages_total', 'Messages handed to the offload, by outcome', ['kind', 'result']);
    this.mPacks = counter(registry, 'stompbox_offload_packs_total', 'Packs sent to the offload transport (resends included)', ['kind']);
    this.mPackSize = histogram(registry, 'stompbox_offload_pack_messages', 'Messages per sealed pack', [1, 2, 5, 10, 25, 50, 100, 200, 500, 1000], ['kind']);
    this.mConfirmSeconds = histogram(registry, 'stompbox_offload_confirm_seconds', 'Seal to confirm time of a pack', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], ['kind']);
    this.mPending = gauge(registry, 'stompbox_offload_pending_messages', 'Messages accepted and not yet confirmed', ['kind']);
    this.mPendingBytes = gauge(registry, 'stompbox_offload_pending_bytes', 'Bytes of messages accepted and not yet confirmed', ['kind']);
    this.mRequeued = counter(registry, 'stompbox_offload_requeued_packs_total', 'Packs sent again after their connection was lost or nacked', ['kind']);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, this.opts.timeoutMs / 4)));
    this.sweepTimer.unref();
    await this.transport.start({
      writable: () => this.pump(),
      returned: (packs) => {
        if (packs.length === 0) return;
        this.mRequeued.inc({ kind: this.kind }, packs.length);
        this.queue.unshift(...packs);
        this.pump();
      },
    });
  }

  publish(msg: OutboundMessage): Promise<void> {
    if (this.closing) throw new OffloadFullError('offload is closing');
    const size = messageSize(msg);
    if (this.pendingCount >= this.opts.maxPending || this.pendingBytes + size > this.opts.maxPendingBytes) {
      this.mMessages.inc({ kind: this.kind, result: 'refused_full' });
      const why = this.transport.isReady() ? 'backend is slow' : 'backend unavailable';
      throw new OffloadFullError(`offload buffer full (${this.pendingCount} messages pending, ${why})`);
    }
    const p = this.open;
    const outcome = (p.outcome ??= packOutcome());
    p.msgs.push(msg);
    p.bytes += size;
    this.pendingCount++;
    this.pendingBytes += size;
    if (p.msgs.length >= this.opts.packMaxMessages || p.bytes >= this.opts.packMaxBytes) this.seal();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.opts.lingerMs > 0) setTimeout(() => this.seal(), this.opts.lingerMs);
      else setImmediate(() => this.seal());
    }
    return outcome.promise;
  }

  depth(): number {
    return this.pendingCount;
  }

  isReady(): boolean {
    return !this.closing && this.transport.isReady();
  }

  /** Idempotent: every caller waits for the same drain. */
  readonly close = closeOnce(() => this.drainAndClose());

  private async drainAndClose(): Promise<void> {
    this.closing = true;
    this.seal();
    if (this.pendingCount > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.drainTimeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.transport.close();
    // Whatever is still unsettled will never be confirmed by us: fail it, never drop silently.
    const err = new Error('offload closed before the message was confirmed');
    for (const [seq, u] of this.unsettled) this.fail(seq, u.count, err);
    this.queue.length = 0;
    this.updateGauges();
  }

  private seal(): void {
    this.flushScheduled = false;
    const p = this.open;
    if (p.msgs.length === 0) return;
    this.open = { msgs: [], outcome: null, bytes: 0 };
    const seq = ++this.seq;
    const pack: SealedPack = {
      seq,
      count: p.msgs.length,
      firstId: p.msgs[0].id,
      lastId: p.msgs[p.msgs.length - 1].id,
      body: encodePack(p.msgs, p.bytes),
      sealedAt: Date.now(),
      attempts: 0,
    };
    this.unsettled.set(seq, { outcome: p.outcome!, bytes: p.bytes, count: pack.count, sealedAt: pack.sealedAt });
    this.mPackSize.observe({ kind: this.kind }, pack.count);
    this.queue.push(pack);
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0 && this.transport.canSend()) {
      const pack = this.queue.shift()!;
      if (!this.unsettled.has(pack.seq)) continue; // failed by the sweep meanwhile
      this.mPacks.inc({ kind: this.kind });
      this.transport.send(pack, (err) => this.settle(pack, err));
    }
  }

  private settle(pack: SealedPack, err?: Error): void {
    const u = this.unsettled.get(pack.seq);
    if (!u) return;
    if (err) {
      pack.attempts++;
      if (pack.attempts < this.maxAttempts && !this.closing) {
        this.logger.warn({ err: err.message, seq: pack.seq, attempts: pack.attempts }, 'offload pack refused, sending again');
        this.mRequeued.inc({ kind: this.kind });
        this.queue.unshift(pack);
        this.pump();
        return;
      }
      this.fail(pack.seq, pack.count, new Error(`offload refused the message: ${err.message}`));
    } else {
      this.unsettled.delete(pack.seq);
      u.outcome.resolve();
      this.pendingCount -= pack.count;
      this.pendingBytes -= u.bytes;
      this.mMessages.inc({ kind: this.kind, result: 'confirmed' }, pack.count);
      this.mConfirmSeconds.observe({ kind: this.kind }, (Date.now() - pack.sealedAt) / 1000);
    }
    this.afterSettle();
  }

  private fail(seq: number, count: number, err: Error): void {
    const u = this.unsettled.get(seq);
    if (!u) return;
    this.unsettled.delete(seq);
    u.outcome.reject(err);
    this.pendingCount -= count;
    this.pendingBytes -= u.bytes;
    this.mMessages.inc({ kind: this.kind, result: 'failed' }, count);
  }

  private afterSettle(): void {
    if (this.pendingCount === 0 && this.drainWaiters.length > 0) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }

  /**
   * Fail packs not confirmed within timeoutMs of sealing, whether still buffered (backend down)
   * or sent and unconfirmed (backend blocked): senders get an error instead of waiting forever.
   * A confirm arriving later is ignored (the message may still be stored: at least once).
   */
  private sweep(): void {
    const limit = Date.now() - this.opts.timeoutMs;
    let failed = 0;
    for (const [seq, u] of this.unsettled) {
      if (u.sealedAt >= limit) break;
      this.fail(seq, u.count, new Error(`offload could not confirm the message within ${this.opts.timeoutMs} ms`));
      failed += u.count;
    }
    // Buffered packs that failed are dropped from the head (the queue is in seal order).
    while (this.queue.length > 0 && !this.unsettled.has(this.queue[0].seq)) this.queue.shift();
    if (failed > 0) {
      this.logger.error({ failed, kind: this.kind }, 'offload timed out messages while the backend was unavailable or blocked');
      this.afterSettle();
    }
    this.updateGauges();
  }

  private updateGauges(): void {
    this.mPending.set({ kind: this.kind }, this.pendingCount);
    this.mPendingBytes.set({ kind: this.kind }, this.pendingBytes);
  }
}
