/**
 * TrendingStore: words counted per minute, per room and across rooms, and the top K words of
 * the last W minutes. The Redis implementation (redis-trending-store.ts) keeps one sorted set
 * per bucket with an expiry; the in-process twin (memory-trending-store.ts) keeps the same
 * buckets in maps. Both pass trending-store.contract.ts.
 *
 * Time: a message counts in the minute the broker accepted it (`sentAt`), so a backlog written
 * late still lands in its own minute; queries read the clock the store was given, so tests
 * move time without waiting.
 */

/** Buckets are minutes; a query sums the current one and the W − 1 before it. */
export const BUCKET_MS = 60_000;
export const MAX_WINDOW_MINUTES = 60;

/** The distinct words of one stored room message. */
export interface CountedMessage {
  roomId: string;
  sentAt: number;
  words: readonly string[];
}

export interface TrendingWord {
  word: string;
  count: number;
}

export interface TrendingQuery {
  /** null: across all rooms. */
  roomId: string | null;
  /** 1..MAX_WINDOW_MINUTES. */
  windowMinutes: number;
  limit: number;
}

export interface TrendingResult {
  /** Most counted first; equal counts by word (code point order). */
  words: TrendingWord[];
  /** Start of the oldest minute summed, and the time of the query (ms since the epoch). */
  fromMs: number;
  toMs: number;
}

/** What a record call could not keep, for the caller's metrics. */
export interface RecordOutcome {
  /** Words dropped from the long tail of full buckets. */
  trimmed: number;
  /** Messages older than the oldest bucket kept (not counted). */
  tooOld: number;
  /** Word counts refused because the store is at its memory bound (twin only). */
  refused: number;
}

/** The query side (what the HTTP routes need). */
export interface TrendingReader {
  top(q: TrendingQuery): Promise<TrendingResult>;
}

export interface TrendingStore extends TrendingReader {
  readonly kind: string;
  record(messages: readonly CountedMessage[]): Promise<RecordOutcome>;
  close(): Promise<void>;
}

export interface TrendingStoreOptions {
  /** Distinct words kept per minute of one room; the least counted go first. */
  maxWordsPerRoomBucket: number;
  /** Distinct words kept per minute across all rooms. */
  maxWordsOverallBucket: number;
  /** How long a summed window is reused by later queries (0: never). */
  queryCacheMs: number;
  /** The clock (tests inject one). */
  now?: () => number;
}

export const minuteOf = (ms: number): number => Math.floor(ms / BUCKET_MS);

/** The minutes a query sums, oldest first. */
export function windowMinutes(nowMs: number, windowMinutes: number): number[] {
  const last = minuteOf(nowMs);
  return Array.from({ length: windowMinutes }, (_, i) => last - windowMinutes + 1 + i);
}

/** Most counted first, then by word in code point order (how Redis orders equal scores: by bytes). */
export function byCountThenWord(a: TrendingWord, b: TrendingWord): number {
  return b.count - a.count || compareCodePoints(a.word, b.word);
}

/** UTF-8 byte order, which is code point order (UTF-16 order differs above U+D7FF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1; // a surrogate (astral code point) sorts after any BMP one
    return x - y;
  }
  return a.length - b.length;
}
