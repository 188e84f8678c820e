/**
 * Deletes device tokens not re-registered for `maxAgeDays` (FCM considers a token that has not
 * connected for 270 days expired; apps refresh theirs when they start), every `everyMs`, in
 * bounded chunks. Several consumer processes may run it at once: deletes are idempotent.
 */
import type { Logger } from 'pino';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import { PRUNE_CHUNK_TOKENS } from '../../shared/store/device-token-store';
import type { PushMetrics } from './push-metrics';

const DAY_MS = 24 * 3_600_000;
/** The first run waits this long after start, so a restart storm does not prune in a burst. */
const FIRST_RUN_MS = 60_000;

export class TokenPruner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private closed = false;

  constructor(
    private readonly store: DeviceTokenStore,
    private readonly maxAgeDays: number,
    private readonly everyMs: number,
    private readonly logger: Logger,
    private readonly m: PushMetrics,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    if (this.everyMs <= 0) return;
    const run = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce().finally(() => {
          if (!this.closed) run(this.everyMs);
        });
      }, delay);
      this.timer.unref?.();
    };
    run(Math.min(FIRST_RUN_MS, this.everyMs));
  }

  /** Prune now; resolves with the tokens deleted (0 when the store failed: logged). */
  runOnce(): Promise<number> {
    this.running ??= this.prune().finally(() => (this.running = null));
    return this.running;
  }

  private async prune(): Promise<number> {
    const cutoff = new Date(this.clock() - this.maxAgeDays * DAY_MS);
    let total = 0;
    try {
      for (;;) {
        const n = await this.store.pruneDeviceTokens(cutoff, PRUNE_CHUNK_TOKENS);
        total += n;
        this.m.pruned.inc(n);
        if (n < PRUNE_CHUNK_TOKENS || this.closed) break;
      }
      if (total > 0) this.logger.info({ pruned: total, notSeenSince: cutoff.toISOString() }, 'device tokens pruned');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, pruned: total }, 'device token pruning failed; trying again next time');
    }
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
