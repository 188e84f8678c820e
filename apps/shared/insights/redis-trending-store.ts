/**
 * TrendingStore on Redis: one sorted set per minute and scope,
 * `<prefix><minute>:*` across rooms and `<prefix><minute>:r:<roomId>` per room.
 *
 * Scores are negated counts, so ascending order (ZRANGE, ZREMRANGEBYRANK) is most counted first
 * with equal counts by word: the same order the twin gives, and trimming the long tail is
 * "remove ranks past the cap". A script adds a batch's counts to each of its buckets, trims
 * past the cap and sets the expiry (the minute stays readable for MAX_WINDOW_MINUTES); a
 * batch's buckets share a few script calls, in one pipeline.
 *
 * A query of W > 1 minutes is one script call: ZUNIONSTORE of the W buckets into a short-lived
 * key, ZRANGE of its head; the union is kept `queryCacheMs` for the next query of the same
 * window (O(buckets × words per bucket) once, then O(log n + K)).
 */
import type { Redis } from 'ioredis';
import { redisClient } from '../redis-client';
import { tallyByBucket } from './bucket-tally';
import {
  BUCKET_MS,
  MAX_WINDOW_MINUTES,
  windowMinutes,
  type CountedMessage,
  type RecordOutcome,
  type TrendingQuery,
  type TrendingResult,
  type TrendingStore,
  type TrendingStoreOptions,
  type TrendingWord,
} from './trending-store';

export interface RedisTrendingStoreOptions extends TrendingStoreOptions {
  url: string;
  keyPrefix: string;
}

/** Arguments per script call: a batch's buckets share calls, a huge bucket spans several. */
const ARGS_PER_CALL = 8_000;

/**
 * KEYS: buckets. ARGV, per key in order: ttl seconds, cap, n, then n word, -count pairs.
 * Returns the words trimmed. One call for many buckets: per-command overhead, not the
 * increments, dominated when every room minute had its own call.
 */
const ADD = `
local a = 1
local removed = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local ttl = ARGV[a]
  local cap = tonumber(ARGV[a + 1])
  local n = tonumber(ARGV[a + 2])
  a = a + 3
  for i = 1, n do
    redis.call('ZINCRBY', key, ARGV[a + 1], ARGV[a])
    a = a + 2
  end
  if redis.call('ZCARD', key) > cap then
    removed = removed + redis.call('ZREMRANGEBYRANK', key, cap, -1)
  end
  redis.call('EXPIRE', key, ttl)
end
return removed
`;

/** KEYS[1] union key, KEYS[2..] buckets; ARGV limit, keep ms. Returns word, score pairs. */
const TOP = `
local limit = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
if keep > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('ZRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
end
redis.call('ZUNIONSTORE', KEYS[1], #KEYS - 1, unpack(KEYS, 2))
local out = redis.call('ZRANGE', KEYS[1], 0, limit - 1, 'WITHSCORES')
if keep > 0 then redis.call('PEXPIRE', KEYS[1], keep) else redis.call('DEL', KEYS[1]) end
return out
`;

interface TrendCommands {
  trendAdd(numKeys: number, ...args: Array<string | number>): Promise<number>;
  trendTop(numKeys: number, ...args: Array<string | number>): Promise<string[]>;
}

export class RedisTrendingStore implements TrendingStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly now: () => number;

  constructor(private readonly opts: RedisTrendingStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.redis = redisClient(opts.url, 'stompbox-insights');
    this.redis.on('error', () => undefined); // commands fail and the caller counts it
    this.redis.defineCommand('trendAdd', { lua: ADD });
    this.redis.defineCommand('trendTop', { lua: TOP });
  }

  async record(messages: readonly CountedMessage[]): Promise<RecordOutcome> {
    const now = this.now();
    const { buckets, tooOld } = tallyByBucket(messages, now);
    if (buckets.length === 0) return { trimmed: 0, tooOld, refused: 0 };
    const p = this.redis.pipeline() as unknown as TrendCommands & { exec(): Promise<Array<[Error | null, unknown]> | null> };
    let keys: string[] = [];
    let args: Array<string | number> = [];
    const call = () => {
      if (keys.length > 0) p.trendAdd(keys.length, ...keys, ...args);
      keys = [];
      args = [];
    };
    for (const b of buckets) {
      const key = this.key(b.minute, b.roomId);
      const cap = b.roomId === null ? this.opts.maxWordsOverallBucket : this.opts.maxWordsPerRoomBucket;
      // Readable until the last window that includes this minute has passed, plus a minute of slack.
      const ttl = Math.max(1, Math.ceil(((b.minute + MAX_WINDOW_MINUTES + 1) * BUCKET_MS - now) / 1000));
      let pairs: Array<string | number> = [];
      const part = () => {
        keys.push(key);
        args.push(ttl, cap, pairs.length / 2);
        for (const x of pairs) args.push(x);
        pairs = [];
        if (args.length >= ARGS_PER_CALL) call();
      };
      for (const [w, n] of b.counts) {
        pairs.push(w, -n);
        if (pairs.length >= ARGS_PER_CALL) part();
      }
      if (pairs.length > 0) part();
    }
    call();
    let trimmed = 0;
    for (const [err, removed] of (await p.exec()) ?? []) {
      if (err) throw err;
      trimmed += Number(removed);
    }
    return { trimmed, tooOld, refused: 0 };
  }

  async top(q: TrendingQuery): Promise<TrendingResult> {
    const now = this.now();
    const minutes = windowMinutes(now, q.windowMinutes);
    const scope = q.roomId === null ? '*' : `r:${q.roomId}`;
    let flat: string[];
    if (minutes.length === 1) flat = await this.redis.zrange(this.key(minutes[0], q.roomId), 0, String(q.limit - 1), 'WITHSCORES');
    else {
      const union = `${this.opts.keyPrefix}u:${minutes[0]}:${minutes.length}:${scope}`;
      const keys = [union, ...minutes.map((m) => this.key(m, q.roomId))];
      flat = await (this.redis as unknown as TrendCommands).trendTop(keys.length, ...keys, q.limit, this.opts.queryCacheMs);
    }
    const words: TrendingWord[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) words.push({ word: flat[i], count: -Number(flat[i + 1]) });
    return { words, fromMs: minutes[0] * BUCKET_MS, toMs: now };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(minute: number, roomId: string | null): string {
    return `${this.opts.keyPrefix}${minute}:${roomId === null ? '*' : `r:${roomId}`}`;
  }
}
