/**
 * The consumer's word counting as configured (INSIGHTS_*): the counter whose `onStored` the
 * writers call, and the live ticker when INSIGHTS_LIVE_INTERVAL_S is set. The TrendingStore is
 * the caller's (the same one answers the trending routes) and outlives this.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../../shared/config';
import { stopWords } from '../../shared/insights/stop-words';
import type { TrendingStore } from '../../shared/insights/trending-store';
import { InsightsCounter, type InsightsCounterOptions } from './insights-counter';
import { TrendingTicker } from './trending-ticker';

export interface Insights {
  counter: InsightsCounter;
  /** Null unless INSIGHTS_LIVE_INTERVAL_S > 0; publishes once a publisher is attached. */
  ticker: TrendingTicker | null;
  /** Stop counting (what is queued is counted until `deadline`). */
  close(deadline?: number): Promise<void>;
}

export function counterOptionsFrom(c: Config): InsightsCounterOptions {
  return {
    tokenizer: {
      stopWords: stopWords(c.INSIGHTS_EXTRA_STOP_WORDS),
      stripKoreanParticles: c.INSIGHTS_STRIP_KOREAN_PARTICLES,
      maxWordChars: c.INSIGHTS_MAX_WORD_CHARS,
      maxWordsPerMessage: c.INSIGHTS_MAX_WORDS_PER_MESSAGE,
    },
    maxTextBytes: c.INSIGHTS_MAX_TEXT_BYTES,
    queueMax: c.INSIGHTS_QUEUE_MAX,
    queueMaxBytes: c.INSIGHTS_QUEUE_MAX_BYTES,
  };
}

export function startInsights(c: Config, store: TrendingStore, logger: Logger, registry: Registry): Insights {
  const log = logger.child({ component: 'insights' });
  const ticker =
    c.INSIGHTS_LIVE_INTERVAL_S > 0
      ? new TrendingTicker(store, { intervalMs: c.INSIGHTS_LIVE_INTERVAL_S * 1000, maxRooms: c.INSIGHTS_LIVE_MAX_ROOMS, windowMinutes: c.INSIGHTS_LIVE_WINDOW_MINUTES, limit: c.INSIGHTS_LIVE_LIMIT }, log, registry)
      : null;
  const counter = new InsightsCounter(store, counterOptionsFrom(c), log, registry, ticker?.note ?? null);
  log.info({ store: store.kind, live: ticker ? `${c.INSIGHTS_LIVE_INTERVAL_S}s` : 'off' }, 'counting trending words');
  return {
    counter,
    ticker,
    close: async (deadline) => {
      await ticker?.close();
      await counter.close(deadline);
    },
  };
}
