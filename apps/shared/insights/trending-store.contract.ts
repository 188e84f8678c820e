/**
 * The TrendingStore contract, run against the Redis implementation and the in-process twin
 * (trending-store.test.ts). Time is injected: each test moves a clock, nothing waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateMessages, T0 } from './generated-chat';
import { BUCKET_MS, byCountThenWord, type CountedMessage, type TrendingStore, type TrendingStoreOptions, type TrendingWord } from './trending-store';

export type MakeTrendingStore = (o: TrendingStoreOptions) => TrendingStore;

export { T0 };

export class TestClock {
  constructor(public t = T0) {}
  readonly now = () => this.t;
  at(minute: number, second = 0): this {
    this.t = T0 + minute * BUCKET_MS + second * 1000;
    return this;
  }
}

const msg = (roomId: string, t: number, ...words: string[]): CountedMessage => ({ roomId, sentAt: t, words });

/** The top K by counting every message in the window one by one. */
export function bruteForceTop(messages: readonly CountedMessage[], roomId: string | null, nowMs: number, windowMinutes: number, k: number): TrendingWord[] {
  const lastMinute = Math.floor(nowMs / BUCKET_MS);
  const counts = new Map<string, number>();
  for (const m of messages) {
    const minute = Math.floor(m.sentAt / BUCKET_MS);
    if (minute > lastMinute || minute <= lastMinute - windowMinutes) continue;
    if (roomId !== null && m.roomId !== roomId) continue;
    for (const w of m.words) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts].map(([word, count]) => ({ word, count })).sort(byCountThenWord).slice(0, k);
}

export function describeTrendingStoreContract(kind: string, make: MakeTrendingStore): void {
  describe(`TrendingStore contract: ${kind}`, () => {
    const open: TrendingStore[] = [];
    const store = (clock: TestClock, over: Partial<TrendingStoreOptions> = {}) => {
      const s = make({ maxWordsPerRoomBucket: 1_000, maxWordsOverallBucket: 10_000, queryCacheMs: 0, now: clock.now, ...over });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('counts per room and across rooms, most counted first, equal counts by word', async () => {
      const clock = new TestClock().at(0, 30);
      const s = store(clock);
      const t = clock.t;
      await s.record([msg('a', t, 'rust', '서울'), msg('a', t, 'rust', 'go'), msg('b', t, 'rust', 'zig'), msg('b', t, '서울')]);
      expect((await s.top({ roomId: 'a', windowMinutes: 1, limit: 10 })).words).toEqual([
        { word: 'rust', count: 2 },
        { word: 'go', count: 1 },
        { word: '서울', count: 1 },
      ]);
      expect((await s.top({ roomId: null, windowMinutes: 5, limit: 2 })).words).toEqual([
        { word: 'rust', count: 3 },
        { word: '서울', count: 2 },
      ]);
      expect((await s.top({ roomId: 'nobody', windowMinutes: 5, limit: 10 })).words).toEqual([]);
    });

    it('moves the window with the clock: a minute leaves W minutes after it began', async () => {
      const clock = new TestClock().at(0, 10);
      const s = store(clock);
      await s.record([msg('a', clock.t, 'early')]);
      clock.at(3, 5);
      await s.record([msg('a', clock.t, 'later')]);
      const words = async (w: number) => (await s.top({ roomId: 'a', windowMinutes: w, limit: 10 })).words.map((x) => x.word);
      expect(await words(1)).toEqual(['later']);
      expect(await words(3)).toEqual(['later']);
      expect(await words(4)).toEqual(['early', 'later']);
      const r = await s.top({ roomId: 'a', windowMinutes: 4, limit: 10 });
      expect(r).toMatchObject({ fromMs: T0, toMs: clock.t });
      clock.at(59, 59);
      expect(await words(60)).toEqual(['early', 'later']);
      clock.at(60);
      expect(await words(60)).toEqual(['later']);
      clock.at(63);
      expect(await words(60)).toEqual([]);
    });

    it('does not count messages older than the oldest minute kept; a message from the future counts now', async () => {
      const clock = new TestClock().at(100);
      const s = store(clock);
      const r = await s.record([msg('a', T0 + 40 * BUCKET_MS, 'stale'), msg('a', T0 + 200 * BUCKET_MS, 'ahead'), msg('a', T0 + 41 * BUCKET_MS, 'kept')]);
      expect(r.tooOld).toBe(1);
      expect((await s.top({ roomId: 'a', windowMinutes: 1, limit: 10 })).words).toEqual([{ word: 'ahead', count: 1 }]);
      expect((await s.top({ roomId: 'a', windowMinutes: 60, limit: 10 })).words.map((w) => w.word)).toEqual(['ahead', 'kept']);
    });

    it('trims the long tail of a full bucket, keeping the most counted with their counts', async () => {
      const clock = new TestClock().at(0);
      const s = store(clock, { maxWordsPerRoomBucket: 10, maxWordsOverallBucket: 15 });
      const batch: CountedMessage[] = [];
      // word wN is said N times: w30 most, w1 least
      for (let n = 1; n <= 30; n++) for (let i = 0; i < n; i++) batch.push(msg('a', clock.t, `w${n}`));
      const r = await s.record(batch);
      expect(r.trimmed).toBe(20 + 15);
      const top = (await s.top({ roomId: 'a', windowMinutes: 1, limit: 100 })).words;
      expect(top).toEqual(Array.from({ length: 10 }, (_, i) => ({ word: `w${30 - i}`, count: 30 - i })));
      expect((await s.top({ roomId: null, windowMinutes: 1, limit: 100 })).words).toHaveLength(15);
    });

    describe('top K against a brute-force count (Zipf-like text, 90 minutes, 20 rooms)', () => {
      const messages = generateMessages({ minutes: 90, perMinute: 60, rooms: 20, vocabulary: 400, seed: 7 });
      for (const windowMinutes of [1, 5, 60]) {
        it(`W = ${windowMinutes}`, async () => {
          const clock = new TestClock();
          const s = store(clock);
          for (let i = 0; i < messages.length; i += 500) {
            const batch = messages.slice(i, i + 500);
            clock.t = batch[batch.length - 1].sentAt;
            await s.record(batch);
          }
          clock.at(89, 59);
          for (const roomId of [null, 'room3', 'room17']) {
            const got = await s.top({ roomId, windowMinutes, limit: 10 });
            expect(got.words, `${roomId ?? 'all rooms'}`).toEqual(bruteForceTop(messages, roomId, clock.t, windowMinutes, 10));
          }
        });
      }
    });
  });
}
