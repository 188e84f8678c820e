/**
 * Counts the words of stored room messages into the TrendingStore, off the writer's path.
 * `onStored` (the writer's hook) only queues the batch, or refuses it when the bounded queue is
 * full (counted as skipped); one loop takes slices from the queue, finds their words and
 * records them, one store call at a time, yielding to the event loop between slices. A slow or
 * failing store therefore fills the queue and skips counting; it never slows the writer.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { StoredText } from '../../shared/store/packed-rows';
import { messageText } from '../../shared/insights/message-text';
import { Tokenizer, type TokenizerOptions } from '../../shared/insights/tokenizer';
import type { CountedMessage, TrendingStore } from '../../shared/insights/trending-store';
import { CountingQueue } from './counting-queue';
import { insightsMetrics, type InsightsMetrics } from './insights-metrics';

export interface InsightsCounterOptions {
  tokenizer: TokenizerOptions;
  /** Bytes of one message's text read for words. */
  maxTextBytes: number;
  queueMax: number;
  queueMaxBytes: number;
  /** Messages tokenised and recorded per store call. */
  sliceMessages?: number;
}

const DEFAULT_SLICE = 500;

export class InsightsCounter {
  private readonly queue: CountingQueue;
  private readonly tokenizer: Tokenizer;
  private readonly m: InsightsMetrics;
  private readonly slice: number;
  private running: Promise<void> | null = null;
  private closed = false;
  private failures = 0;

  constructor(
    private readonly store: TrendingStore,
    private readonly opts: InsightsCounterOptions,
    private readonly logger: Logger,
    registry: Registry,
    /** Told each room that had words counted (the live ticker's list of active rooms). */
    private readonly onRoomCounted: ((roomId: string) => void) | null = null,
  ) {
    this.queue = new CountingQueue(opts.queueMax, opts.queueMaxBytes);
    this.tokenizer = new Tokenizer(opts.tokenizer);
    this.m = insightsMetrics(registry);
    this.slice = opts.sliceMessages ?? DEFAULT_SLICE;
  }

  /** The writer's hook: queue the stored messages (never waits, never throws). */
  readonly onStored = (messages: readonly StoredText[]): void => {
    if (this.closed || messages.length === 0) return;
    if (!this.queue.offer(messages)) {
      this.m.messages.inc({ outcome: 'skipped_queue_full' }, messages.length);
      return;
    }
    this.gauges();
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  };

  /** Messages waiting to be counted. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Resolves when everything queued so far has been counted (tests, benchmark). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Count what is queued until `deadline`, then drop the rest (they are stored; only uncounted). */
  async close(deadline = Date.now()): Promise<void> {
    this.closed = true;
    const left = this.running;
    if (left) await Promise.race([left, new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
    const dropped = this.queue.clear();
    if (dropped > 0) this.m.messages.inc({ outcome: 'skipped_queue_full' }, dropped);
    this.gauges();
  }

  /** The words of a slice of messages (exposed for the benchmark's per-message cost). */
  countable(messages: readonly StoredText[]): CountedMessage[] {
    const started = performance.now();
    const out: CountedMessage[] = [];
    let noText = 0;
    let words = 0;
    let tooLong = 0;
    for (const msg of messages) {
      if (msg.roomId === null) continue;
      const text = messageText(msg, this.opts.maxTextBytes);
      const found = text === null ? null : this.tokenizer.words(text);
      if (found) tooLong += found.tooLong;
      if (!found || found.words.length === 0) {
        noText++;
        continue;
      }
      words += found.words.length;
      out.push({ roomId: msg.roomId, sentAt: msg.sentAt, words: found.words });
    }
    this.m.tokenizeSeconds.inc((performance.now() - started) / 1000);
    if (noText > 0) this.m.messages.inc({ outcome: 'no_text' }, noText);
    if (tooLong > 0) this.m.wordsDropped.inc({ reason: 'too_long' }, tooLong);
    if (words > 0) this.m.words.inc(words);
    return out;
  }

  private async drain(): Promise<void> {
    await nextTurn(); // never on the writer's call stack
    while (this.queue.length > 0) {
      const batch = this.countable(this.queue.take(this.slice));
      this.gauges();
      if (batch.length > 0) await this.record(batch);
      await nextTurn(); // let the writer and the sockets run between slices
    }
  }

  private async record(batch: CountedMessage[]): Promise<void> {
    try {
      const r = await this.store.record(batch);
      this.m.messages.inc({ outcome: 'counted' }, batch.length - r.tooOld);
      if (r.tooOld > 0) this.m.messages.inc({ outcome: 'too_old' }, r.tooOld);
      if (r.trimmed > 0) this.m.wordsDropped.inc({ reason: 'trimmed' }, r.trimmed);
      if (r.refused > 0) this.m.wordsDropped.inc({ reason: 'memory_full' }, r.refused);
      if (this.failures > 0) this.logger.info({ failures: this.failures }, 'trending counts recorded again');
      this.failures = 0;
      if (this.onRoomCounted) for (const c of batch) this.onRoomCounted(c.roomId);
    } catch (err) {
      // Counting is best effort: the batch is dropped, not retried (the messages are stored).
      this.m.messages.inc({ outcome: 'failed' }, batch.length);
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn({ err: (err as Error).message, failures: this.failures, store: this.store.kind }, 'trending counts not recorded');
      }
    }
  }

  private gauges(): void {
    this.m.queued.set(this.queue.length);
    this.m.queuedBytes.set(this.queue.byteLength);
  }
}
