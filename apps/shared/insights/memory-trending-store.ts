/**
 * The in-process TrendingStore (embedded default): minute buckets in maps, the same bounds as
 * Redis (distinct words per bucket, the last MAX_WINDOW_MINUTES minutes kept) plus a bound on
 * word entries over all buckets, since this memory is the process's own. Past that bound new
 * words are refused (counted) while words already held keep counting.
 *
 * A full bucket is trimmed back to its cap once it is TRIM_SLACK past it rather than on every
 * batch: trimming sorts the bucket, and a busy overall bucket would otherwise be sorted per batch.
 */
import { topK } from './top-k';
import {
  BUCKET_MS,
  MAX_WINDOW_MINUTES,
  compareCodePoints,
  minuteOf,
  windowMinutes,
  type CountedMessage,
  type RecordOutcome,
  type TrendingQuery,
  type TrendingResult,
  type TrendingStore,
  type TrendingStoreOptions,
  type TrendingWord,
} from './trending-store';

export interface MemoryTrendingStoreOptions extends TrendingStoreOptions {
  /** Word entries held over all buckets and rooms together. */
  maxEntries: number;
}

/** Key of the overall scope; room keys are prefixed so no room id can collide with it. */
const ALL = '*';
const roomKey = (roomId: string) => `r:${roomId}`;
/** Summed windows kept for reuse, at most, and the words kept of each (larger limits recompute). */
const CACHE_MAX = 1_000;
const CACHED_WORDS = 100;
/** A bucket may grow this fraction past its cap before it is trimmed back. */
const TRIM_SLACK = 0.1;

export class MemoryTrendingStore implements TrendingStore {
  readonly kind = 'memory';
  /** minute → scope → word → count */
  private readonly buckets = new Map<number, Map<string, Map<string, number>>>();
  private entries = 0;
  /** The overall maps (their cap differs); weak, so dropped minutes take theirs along. */
  private readonly overall = new WeakSet<Map<string, number>>();
  private readonly cache = new Map<string, { until: number; words: TrendingWord[] }>();
  private readonly now: () => number;

  constructor(private readonly opts: MemoryTrendingStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Word entries held (for tests and the benchmark). */
  get size(): number {
    return this.entries;
  }

  /** Minutes held (at most MAX_WINDOW_MINUTES once older ones are dropped). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  async record(messages: readonly CountedMessage[]): Promise<RecordOutcome> {
    const now = this.now();
    this.dropOld(now);
    // Straight into the buckets (no per-batch tally first): this runs in the process that
    // stores and routes, so every map operation saved counts.
    const current = minuteOf(now);
    const oldest = current - MAX_WINDOW_MINUTES + 1;
    const touched = new Set<Map<string, number>>();
    let tooOld = 0;
    let refused = 0;
    let lastMinute = NaN;
    let scopes: Map<string, Map<string, number>> | undefined;
    let all: Map<string, number> | undefined;
    for (const m of messages) {
      if (m.words.length === 0) continue;
      const minute = Math.min(minuteOf(m.sentAt), current);
      if (minute < oldest) {
        tooOld++;
        continue;
      }
      if (minute !== lastMinute || !scopes || !all) {
        lastMinute = minute;
        scopes = this.buckets.get(minute);
        if (!scopes) this.buckets.set(minute, (scopes = new Map()));
        all = this.wordsOf(scopes, ALL);
      }
      const room = this.wordsOf(scopes, roomKey(m.roomId));
      for (const w of m.words) {
        refused += this.add(room, w) + this.add(all, w);
      }
      touched.add(room).add(all);
    }
    let trimmed = 0;
    for (const words of touched) {
      const cap = this.overall.has(words) ? this.opts.maxWordsOverallBucket : this.opts.maxWordsPerRoomBucket;
      if (words.size > cap + Math.ceil(cap * TRIM_SLACK)) trimmed += this.trim(words, cap);
    }
    return { trimmed, tooOld, refused };
  }

  /** +1 for `w`; 1 if it was refused (a new word with the store full). */
  private add(words: Map<string, number>, w: string): number {
    const had = words.get(w);
    if (had !== undefined) words.set(w, had + 1);
    else if (this.entries >= this.opts.maxEntries) return 1;
    else {
      words.set(w, 1);
      this.entries++;
    }
    return 0;
  }

  private wordsOf(scopes: Map<string, Map<string, number>>, key: string): Map<string, number> {
    let words = scopes.get(key);
    if (!words) {
      scopes.set(key, (words = new Map()));
      if (key === ALL) this.overall.add(words);
    }
    return words;
  }

  async top(q: TrendingQuery): Promise<TrendingResult> {
    const now = this.now();
    const minutes = windowMinutes(now, q.windowMinutes);
    const key = q.roomId === null ? ALL : roomKey(q.roomId);
    const result = (words: TrendingWord[]): TrendingResult => ({ words, fromMs: minutes[0] * BUCKET_MS, toMs: now });
    if (minutes.length === 1) {
      const one = this.buckets.get(minutes[0])?.get(key);
      return result(one ? topK(one, q.limit) : []);
    }
    const cacheKey = `${minutes[0]}:${q.windowMinutes}:${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > now && q.limit <= CACHED_WORDS) return result(hit.words.slice(0, q.limit));
    const counts = new Map<string, number>();
    for (const m of minutes) {
      const words = this.buckets.get(m)?.get(key);
      if (words) for (const [w, n] of words) counts.set(w, (counts.get(w) ?? 0) + n);
    }
    if (this.opts.queryCacheMs <= 0) return result(topK(counts, q.limit));
    const top = topK(counts, Math.max(q.limit, CACHED_WORDS));
    this.remember(cacheKey, top.slice(0, CACHED_WORDS), now);
    return result(top.slice(0, q.limit));
  }

  async close(): Promise<void> {
    this.buckets.clear();
    this.cache.clear();
    this.entries = 0;
  }

  /** Keep the `cap` most counted; among equals the word sorting last goes first (as in Redis). */
  private trim(words: Map<string, number>, cap: number): number {
    const sorted = [...words].sort((a, b) => a[1] - b[1] || compareCodePoints(b[0], a[0]));
    const drop = sorted.length - cap;
    for (let i = 0; i < drop; i++) words.delete(sorted[i][0]);
    this.entries -= drop;
    return drop;
  }

  private dropOld(now: number): void {
    const oldest = minuteOf(now) - MAX_WINDOW_MINUTES + 1;
    for (const [minute, scopes] of this.buckets) {
      if (minute >= oldest) continue;
      for (const words of scopes.values()) this.entries -= words.size;
      this.buckets.delete(minute);
    }
    for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
  }

  private remember(key: string, words: TrendingWord[], now: number): void {
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { until: now + this.opts.queryCacheMs, words });
  }
}
