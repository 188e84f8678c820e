/**
 * The counting hook: it queues without waiting, refuses (and counts) what does not fit, counts
 * each stored room message's words once the store answers, and tells the live ticker which rooms
 * changed; the ticker publishes those rooms' words, each once per tick.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { stopWords } from '../../shared/insights/stop-words';
import { MemoryTrendingStore } from '../../shared/insights/memory-trending-store';
import type { CountedMessage, RecordOutcome, TrendingStore } from '../../shared/insights/trending-store';
import { messageFactory } from '../../shared/testing/messages';
import { InsightsCounter, type InsightsCounterOptions } from './insights-counter';
import { TrendingTicker } from './trending-ticker';
import type { TrendingSnapshot } from './trending-publisher';

const logger = pino({ level: 'silent' });
const options = (over: Partial<InsightsCounterOptions> = {}): InsightsCounterOptions => ({
  tokenizer: { stopWords: stopWords(), stripKoreanParticles: true, maxWordChars: 32, maxWordsPerMessage: 32 },
  maxTextBytes: 2048,
  queueMax: 1_000,
  queueMaxBytes: 1024 * 1024,
  ...over,
});

/** A store whose record calls wait until released. */
class GatedStore implements TrendingStore {
  readonly kind = 'gated';
  recorded: CountedMessage[] = [];
  private gate: (() => void) | null = null;
  private opened = false;
  async record(messages: readonly CountedMessage[]): Promise<RecordOutcome> {
    if (!this.opened) await new Promise<void>((r) => (this.gate = r));
    this.recorded.push(...messages);
    return { trimmed: 0, tooOld: 0, refused: 0 };
  }
  open(): void {
    this.opened = true;
    this.gate?.();
  }
  async top(): Promise<never> {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

const metric = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const m = (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return m?.value ?? 0;
};

describe('InsightsCounter', () => {
  it('queues stored messages without waiting and counts each room message’s words', async () => {
    const store = new GatedStore();
    const registry = new Registry();
    const c = new InsightsCounter(store, options(), logger, registry);
    const make = messageFactory('n', 3);
    c.onStored([
      make({ body: Buffer.from('Deploy the deploy 배포를 했어요'), contentType: 'text/plain' }),
      make({ body: Buffer.from('{"text":"커피 coffee"}'), contentType: 'application/json' }),
      make({ body: Buffer.from([0xff, 0x00]), contentType: null }),
      make({ roomId: null, destination: '/topic/plain', body: Buffer.from('not a room') }),
    ]);
    expect(store.recorded).toEqual([]); // returned before the store answered
    store.open();
    await c.idle();
    expect(store.recorded.map((m) => [m.roomId, m.words])).toEqual([
      ['r0', ['deploy', '배포']], // 했어(요) is a stop word
      ['r1', ['커피', 'coffee']],
    ]);
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'counted' })).toBe(2);
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'no_text' })).toBe(1);
    expect(await metric(registry, 'stompbox_insights_words_total')).toBe(4);
  });

  it('skips (and counts) batches that do not fit the queue while the store is slow, never waiting', async () => {
    const store = new GatedStore();
    const registry = new Registry();
    const c = new InsightsCounter(store, options({ queueMax: 10, sliceMessages: 5 }), logger, registry);
    const make = messageFactory('n', 2);
    const batch = () => Array.from({ length: 5 }, () => make({ body: Buffer.from('hello world') }));
    c.onStored(batch());
    c.onStored(batch());
    c.onStored(batch()); // 15 queued would pass 10
    expect(c.backlog).toBe(10);
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'skipped_queue_full' })).toBe(5);
    await new Promise((r) => setImmediate(r)); // the loop took a slice and waits on the store
    expect(c.backlog).toBe(5);
    c.onStored(batch());
    c.onStored(batch()); // 15 again
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'skipped_queue_full' })).toBe(10);
    store.open();
    await c.idle();
    expect(store.recorded).toHaveLength(15);
    expect(c.backlog).toBe(0);
  });

  it('bounds the queue by body bytes too', async () => {
    const store = new GatedStore();
    const registry = new Registry();
    const c = new InsightsCounter(store, options({ queueMaxBytes: 100 }), logger, registry);
    const make = messageFactory('n', 2);
    c.onStored([make({ body: Buffer.from('x'.repeat(60)) })]);
    c.onStored([make({ body: Buffer.from('y'.repeat(60)) })]);
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'skipped_queue_full' })).toBe(1);
    store.open();
    await c.idle();
  });

  it('counts a failed record and keeps counting later batches', async () => {
    let fail = true;
    const inner = new MemoryTrendingStore({ maxWordsPerRoomBucket: 100, maxWordsOverallBucket: 100, queryCacheMs: 0, maxEntries: 10_000 });
    const store: TrendingStore = { kind: 'flaky', record: async (m) => (fail ? Promise.reject(new Error('down')) : inner.record(m)), top: (q) => inner.top(q), close: async () => {} };
    const registry = new Registry();
    const c = new InsightsCounter(store, options(), logger, registry);
    const make = messageFactory('n', 1);
    c.onStored([make({ body: Buffer.from('lost words') })]);
    await c.idle();
    fail = false;
    c.onStored([make({ body: Buffer.from('kept words') })]);
    await c.idle();
    expect(await metric(registry, 'stompbox_insights_messages_total', { outcome: 'failed' })).toBe(1);
    expect((await inner.top({ roomId: 'r0', windowMinutes: 1, limit: 10 })).words.map((w) => w.word)).toEqual(['kept', 'words']);
  });
});

describe('TrendingTicker', () => {
  it('publishes each room that had words counted since the last tick, the most recent maxRooms of them', async () => {
    const store = new MemoryTrendingStore({ maxWordsPerRoomBucket: 100, maxWordsOverallBucket: 100, queryCacheMs: 0, maxEntries: 10_000 });
    const registry = new Registry();
    const ticker = new TrendingTicker(store, { intervalMs: 3_600_000, maxRooms: 2, windowMinutes: 5, limit: 3 }, logger, registry);
    const c = new InsightsCounter(store, options(), logger, registry, ticker.note);
    const make = messageFactory('n', 3);
    c.onStored([make({ body: Buffer.from('alpha beta') }), make({ body: Buffer.from('gamma') }), make({ body: Buffer.from('delta alpha') })]);
    await c.idle();
    const sent: TrendingSnapshot[] = [];
    ticker.attach({ publish: (s) => sent.push(s) });
    await ticker.tick();
    expect(sent.map((s) => [s.roomId, s.windowMinutes, s.words.map((w) => w.word)])).toEqual([
      ['r1', 5, ['gamma']],
      ['r2', 5, ['alpha', 'delta']],
    ]);
    await ticker.tick();
    expect(sent).toHaveLength(2); // nothing new since
    await ticker.close();
  });
});
