/**
 * The consumer (apps/README.md "Processes"): queue → bridge → stream → writers → Store, plus
 * the recent-N cache, assembled from whichever implementations the configuration chose
 * (RabbitMQ or the in-process queue, Redis or the in-process stream). Used by
 * `npm run consumer` (main.ts) and by the all-in-one process (all-in-one/pipeline.ts).
 *
 * Shutdown (`close`): stop taking packs, put the held ones in the stream, let the writers
 * write what is in the stream, all within `drainTimeoutMs`; whatever remains stays in
 * RabbitMQ / Redis for the next start (in the embedded twins it would be lost, so the
 * all-in-one process drains first and logs what it could not).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { closeOnce } from '../shared/close-once';
import type { Store } from '../shared/store/store';
import type { OutboundMessage } from '../shared/message';
import type { StoredText } from '../shared/store/packed-rows';
import type { DeadLetterSink, PackSource } from '../shared/queue/pack-source';
import { HoldingDeadLetters } from '../shared/queue/holding-dead-letters';
import { Bridge } from './bridge';
import { consumerMetrics } from './consumer-metrics';
import type { PackStream } from './stream/pack-stream';
import type { RecentCache } from '../shared/history/recent-cache';
import { StreamWriter } from './writer';
import { FirstUseDirectory, type FirstUseOptions } from './first-use';

export interface ConsumerOptions {
  maxStreamEntries: number;
  /** Byte bound of the in-process stream twin (a Redis stream is bounded by entries). */
  maxStreamBytes: number;
  bridgeBatchPacks: number;
  writerBatchPacks: number;
  writerConcurrency: number;
  writerBlockMs: number;
  claimIdleMs: number;
  claimEveryMs: number;
  drainTimeoutMs: number;
  /** Prefix of this process's writer names in the consumer group (default host-pid). */
  writerNamePrefix?: string;
  /** Development mode: create rooms and users on first use, sender as member, within these bounds (first-use.ts); absent = off. */
  firstUse?: FirstUseOptions;
}

export interface ConsumerParts {
  source: PackSource;
  stream: PackStream;
  cache: RecentCache | null;
  deadLetters: DeadLetterSink;
  store: Store;
  /** Told each batch of stored room messages (insights: consumer/insights); must return at once. */
  onStored?: (messages: readonly StoredText[]) => void;
}

export interface ConsumerStatus {
  source: { kind: string; ready: boolean };
  stream: { kind: string; ready: boolean; backpressure: boolean };
  store: string;
  heldPacks: number;
}

export interface Consumer {
  status(): ConsumerStatus;
  /** Stream entries not yet written (for tests, health and the embedded drain). */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

export async function startConsumer(parts: ConsumerParts, opts: ConsumerOptions, logger: Logger, registry: Registry): Promise<Consumer> {
  const m = consumerMetrics(registry);
  try {
    await parts.stream.init();
  } catch (err) {
    // Redis away at start: the writers create the group on their first NOGROUP answer.
    logger.warn({ err: (err as Error).message, stream: parts.stream.kind }, 'stream not reachable at start; retrying in the background');
  }
  // A full dead-letter queue refuses new letters; bridge and writers then hold their packs.
  const deadLetters = new HoldingDeadLetters(parts.deadLetters, logger, registry);
  const bridge = new Bridge(parts.source, parts.stream, parts.cache, deadLetters, {
    maxStreamEntries: opts.maxStreamEntries,
    maxStreamBytes: opts.maxStreamBytes,
    batchPacks: opts.bridgeBatchPacks,
  }, logger, m);
  const prefix = opts.writerNamePrefix ?? `${hostname()}-${process.pid}`;
  const firstUse = opts.firstUse ? new FirstUseDirectory(parts.store, opts.firstUse, logger, m) : null;
  const writers = Array.from({ length: opts.writerConcurrency }, (_, i) =>
    new StreamWriter(`${prefix}-${i}`, parts.stream, parts.store, deadLetters, {
      batchPacks: opts.writerBatchPacks,
      blockMs: opts.writerBlockMs,
      claimIdleMs: opts.claimIdleMs,
      claimEveryMs: opts.claimEveryMs,
    }, logger, m, firstUse, parts.onStored ?? null),
  );
  for (const w of writers) w.start();
  await bridge.start();
  logger.info({ source: parts.source.kind, stream: parts.stream.kind, store: parts.store.kind, writers: writers.length }, 'consumer started');

  return {
    status: () => ({
      source: { kind: parts.source.kind, ready: parts.source.isReady() },
      stream: { kind: parts.stream.kind, ready: parts.stream.isReady(), backpressure: bridge.isPaused() },
      store: parts.store.kind,
      heldPacks: bridge.heldCount(),
    }),
    backlog: () => parts.stream.length(),
    close: closeOnce(async () => {
      const deadline = Date.now() + opts.drainTimeoutMs;
      deadLetters.giveUpAt(deadline);
      await bridge.stop(deadline);
      await Promise.all(writers.map((w) => w.stop(deadline)));
      await firstUse?.close(deadline);
      const left = await parts.stream.length().catch(() => -1);
      if (left > 0) logger.warn({ entries: left, stream: parts.stream.kind }, 'consumer stopped with stream entries not yet written');
      await parts.source.close();
      await deadLetters.close();
      await parts.cache?.close();
      await parts.stream.close();
      logger.info('consumer stopped');
    }),
  };
}
