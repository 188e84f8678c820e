/**
 * The bridge: queue → stream. Packs arriving from the PackSource are
 * gathered per tick, appended to the stream in one pipelined round trip (one entry per pack),
 * and acked to the queue only after the stream accepted them. The room messages also go to
 * the recent-N cache in the same tick (best effort: the database stays the source of truth).
 *
 * Backpressure: when the stream holds `maxStreamEntries` unwritten packs, the bridge stops
 * appending and acking; the queue's prefetch window then fills and RabbitMQ keeps the rest.
 * It resumes below 80 % of the bound. A pack that does not decode is dead-lettered (stage
 * "decode") and acked, never retried forever.
 */
import type { Logger } from 'pino';
import { indexPack } from '../shared/queue/pack-codec';
import type { DeadLetterSink, PackDelivery, PackSource } from '../shared/queue/pack-source';
import type { ConsumerMetrics } from './consumer-metrics';
import type { PackStream } from './stream/pack-stream';
import type { RecentCache } from '../shared/history/recent-cache';
import { backoffMs } from '../shared/backoff';
import { sleep } from '../shared/sleep';

export interface BridgeOptions {
  maxStreamEntries: number;
  /** Byte bound of a stream held in this process's memory (the in-process twin). */
  maxStreamBytes: number;
  /** Packs appended per round trip, at most. */
  batchPacks: number;
}

interface Held {
  d: PackDelivery;
  /** The pack checked out (indexPack); false when it did not decode. */
  ok: boolean;
  error: string | null;
}

export class Bridge {
  private held: Held[] = [];
  private running = false;
  private paused = false;
  private stopped = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly source: PackSource,
    private readonly stream: PackStream,
    private readonly cache: RecentCache | null,
    private readonly deadLetters: DeadLetterSink,
    private readonly opts: BridgeOptions,
    private readonly logger: Logger,
    private readonly m: ConsumerMetrics,
  ) {}

  async start(): Promise<void> {
    await this.source.start((d) => this.holdForStream(d));
  }

  /** True while the stream is past its bound. */
  isPaused(): boolean {
    return this.paused;
  }

  /** Packs taken from the queue and not yet in the stream. */
  heldCount(): number {
    return this.held.length;
  }

  /** Stop taking packs; try to put the held ones in the stream until `deadline` (ms epoch). */
  async stop(deadline: number): Promise<void> {
    await this.source.stop();
    if (this.running) {
      await Promise.race([new Promise<void>((r) => this.idle.push(r)), sleep(Math.max(0, deadline - Date.now()))]);
    }
    this.stopped = true;
  }

  /** Check a delivered pack and hold it until the loop has appended it to the stream. */
  private holdForStream(d: PackDelivery): void {
    let ok = false;
    let error: string | null = null;
    try {
      // Validate (no bodies copied); the index is kept with the Buffer, so the recent cache
      // and, with the in-process stream, the writer reuse this parse.
      indexPack(d.body);
      ok = true;
    } catch (err) {
      error = (err as Error).message;
    }
    this.held.push({ d, ok, error });
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.loop());
    }
  }

  /** An in-process stream past `share` of its byte bound (a Redis stream reports no bytes). */
  private overBytes(share: number): boolean {
    const bytes = this.stream.heldBytes;
    return bytes !== undefined && bytes >= this.opts.maxStreamBytes * share;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.held.length > 0 && !this.stopped) {
      try {
        if (this.paused) {
          const len = await this.stream.length();
          this.m.streamLength.set(len);
          if (len >= this.opts.maxStreamEntries * 0.8 || this.overBytes(0.8)) {
            await sleep(50);
            continue;
          }
          this.paused = false;
          this.m.backpressure.set(0);
          this.logger.info({ len }, 'stream below its bound again; taking packs from the queue');
        }
        const batch = this.held.slice(0, this.opts.batchPacks);
        await this.deadLetterCorrupt(batch);
        const good = batch.filter((h) => h.ok);
        if (good.length > 0) {
          const bodies = good.map((h) => h.d.body);
          const cacheWrite = this.cache ? this.cache.add(bodies).catch((err) => {
            this.m.cacheErrors.inc();
            this.logger.debug({ err: (err as Error).message }, 'recent cache write failed');
          }) : Promise.resolve();
          const [len] = await Promise.all([this.stream.append(bodies), cacheWrite]);
          for (const h of good) h.d.ack();
          this.m.packsIn.inc({ result: 'streamed' }, good.length);
          this.m.streamLength.set(len);
          if (len >= this.opts.maxStreamEntries || this.overBytes(1)) {
            this.paused = true;
            this.m.backpressure.set(1);
            this.logger.warn({ len, bound: this.opts.maxStreamEntries }, 'stream past its bound; holding packs in the queue');
          }
        }
        this.held.splice(0, batch.length);
        failures = 0;
      } catch (err) {
        failures++;
        this.m.bridgeErrors.inc();
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: (err as Error).message, failures }, 'stream append failed; retrying');
        await sleep(backoffMs(failures, { baseMs: 50, maxMs: 2_000 }));
      }
    }
    this.running = false;
    const ws = this.idle;
    this.idle = [];
    for (const w of ws) w();
  }

  private async deadLetterCorrupt(batch: Held[]): Promise<void> {
    for (const h of batch) {
      if (h.ok || h.error === null) continue;
      await this.deadLetters.put({ reason: h.error, stage: 'decode', body: h.d.body, messageIds: [] });
      this.m.deadLetters.inc({ stage: 'decode' });
      this.m.packsIn.inc({ result: 'dead_lettered' });
      this.logger.error({ reason: h.error }, 'undecodable pack dead-lettered');
      h.d.ack();
      h.error = null; // done; not in `good` either, as ok is false
    }
  }
}
