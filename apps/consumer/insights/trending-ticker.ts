/**
 * Live trending: every interval, each room that had words counted since the last tick gets its
 * top words published (a quiet room's list only changes as its words age out, so it is not
 * re-sent). Rooms noted are bounded (the most recently active kept); queries run one at a time,
 * so a slow store delays the tick rather than piling queries up.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TrendingReader } from '../../shared/insights/trending-store';
import { insightsMetrics, type InsightsMetrics } from './insights-metrics';
import { snapshotOf, type TrendingPublisher } from './trending-publisher';

export interface TrendingTickerOptions {
  intervalMs: number;
  maxRooms: number;
  windowMinutes: number;
  limit: number;
}

export class TrendingTicker {
  /** Insertion order = activity order; the oldest goes first when full. */
  private active = new Map<string, true>();
  private publisher: TrendingPublisher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly m: InsightsMetrics;

  constructor(
    private readonly store: TrendingReader,
    private readonly opts: TrendingTickerOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.m = insightsMetrics(registry);
  }

  /** A room had words counted. */
  readonly note = (roomId: string): void => {
    if (this.active.has(roomId)) this.active.delete(roomId);
    else if (this.active.size >= this.opts.maxRooms) this.active.delete(this.active.keys().next().value!);
    this.active.set(roomId, true);
  };

  /** Start publishing through `publisher` (the broker may start after the counting does). */
  attach(publisher: TrendingPublisher): void {
    this.publisher = publisher;
    this.timer ??= setInterval(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = null;
      });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** One round: publish every room active since the last one. */
  async tick(): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) return;
    const rooms = [...this.active.keys()];
    this.active = new Map();
    for (const roomId of rooms) {
      try {
        const r = await this.store.top({ roomId, windowMinutes: this.opts.windowMinutes, limit: this.opts.limit });
        publisher.publish(snapshotOf(roomId, this.opts.windowMinutes, r));
        this.m.livePublished.inc();
      } catch (err) {
        this.m.liveErrors.inc();
        this.logger.debug({ err: (err as Error).message, roomId }, 'live trending not published');
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.publisher = null;
    await this.ticking;
  }
}
