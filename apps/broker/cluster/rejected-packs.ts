/**
 * Packs RabbitMQ refused because a node queue was full (`x-overflow: reject-publish`, nacked on
 * the publish channel's confirms): their messages are counted as missed, and the destinations
 * named in a warning at most every LOG_EVERY_MS, so a node too slow to read shows up in the log
 * without one line per pack.
 */
import type { Logger } from 'pino';
import type { ClusterMetrics } from './cluster-metrics';

const LOG_EVERY_MS = 10_000;
/** Destinations named in one warning. */
const LOG_MAX_DESTINATIONS = 20;

export class RejectedPacks {
  private readonly since = new Map<string, number>();
  private logged = 0;

  constructor(
    private readonly metrics: ClusterMetrics,
    private readonly logger: Logger,
  ) {}

  /** A pack of `count` messages to `destination` was nacked. */
  add(destination: string, count: number): void {
    this.metrics.missed.rejected += count;
    if (this.since.size < LOG_MAX_DESTINATIONS || this.since.has(destination)) this.since.set(destination, (this.since.get(destination) ?? 0) + count);
    const now = Date.now();
    if (now - this.logged < LOG_EVERY_MS) return;
    this.logged = now;
    this.logger.warn(
      { missed: Object.fromEntries(this.since), total: this.metrics.missed.rejected },
      'cluster: RabbitMQ refused packs because a node queue is full (CLUSTER_QUEUE_MAX_BYTES); other nodes\' subscribers missed them live',
    );
    this.since.clear();
  }
}
