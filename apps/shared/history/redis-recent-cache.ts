/**
 * RecentCache on Redis, one sorted set per room: every member has score 0 and is
 * `<message id> NUL <single-message pack>`, so Redis orders members by id (ids sort by time as
 * plain bytes) and a redelivered message (same bytes) is not added twice. Per room of a batch:
 * ZADD of its new messages, ZREMRANGEBYRANK to keep the newest `size`,
 * EXPIRE so quiet rooms do not hold memory forever. All rooms of a batch go in one script call
 * (EVALSHA; ioredis falls back to EVAL when Redis does not know the script yet): three pipelined
 * commands per room cost each side a command to encode, parse and answer, which made the cache
 * the consumer's largest cost per message with many rooms; inside a script they are plain calls.
 * A call carries at most MAX_ARGS members, so one script never holds Redis long (scripts run
 * alone: Redis docs, "Scripting with Lua").
 */
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../message';
import { decodePack, packFromParts, scanPack } from '../queue/pack-codec';
import { sortUnique, type RecentCache } from './recent-cache';
import { redisClient } from '../redis-client';

export interface RedisRecentCacheOptions {
  url: string;
  keyPrefix: string;
  size: number;
  ttlSeconds: number;
}

/** KEYS: the rooms' sets. ARGV: size, ttl, then per key its member count and members. */
const ADD_SCRIPT = `
local size = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local a = 3
for i = 1, #KEYS do
  local n = tonumber(ARGV[a])
  -- unpack() is limited by Lua's C stack (8,000 values): ZADD at most 1,000 members at a time.
  for from = 1, n, 1000 do
    local args, k = {}, 0
    for j = from, math.min(n, from + 999) do
      args[k + 1] = 0
      args[k + 2] = ARGV[a + j]
      k = k + 2
    end
    redis.call('ZADD', KEYS[i], unpack(args))
  end
  a = a + n + 1
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -size - 1)
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
end
return 0`;

/** Members per script call, at most (besides one room's list, which `size` bounds). */
const MAX_ARGS = 4_096;

type AddCall = (numKeys: number, ...args: Array<string | number | Buffer>) => Promise<unknown>;

export class RedisRecentCache implements RecentCache {
  readonly kind = 'redis';
  readonly size: number;
  private readonly redis: Redis;
  private readonly addScript: AddCall;

  constructor(private readonly opts: RedisRecentCacheOptions) {
    this.size = opts.size;
    this.redis = redisClient(opts.url, 'stompbox-recent');
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('stompboxRecentAdd', { lua: ADD_SCRIPT });
    const r = this.redis as unknown as { stompboxRecentAdd: AddCall };
    this.addScript = (numKeys, ...args) => r.stompboxRecentAdd(numKeys, ...args);
  }

  async add(packs: Buffer[]): Promise<void> {
    if (this.size <= 0) return;
    // Members are cut from the packs' bytes (no decode, no re-encode): `<id> NUL <1-message pack>`.
    const rooms = new Map<string, Array<{ id: string; buf: Buffer; start: number; end: number }>>();
    for (const buf of packs) {
      for (const ref of scanPack(buf)) {
        if (ref.roomId === null) continue;
        let list = rooms.get(ref.roomId);
        if (!list) rooms.set(ref.roomId, (list = []));
        list.push({ id: ref.id, buf, start: ref.start, end: ref.end });
      }
    }
    const calls: Promise<unknown>[] = [];
    let keys: string[] = [];
    let args: Array<string | number | Buffer> = [this.size, this.opts.ttlSeconds];
    for (const [roomId, list] of rooms) {
      const tail = list.length > this.size ? list.slice(list.length - this.size) : list;
      keys.push(this.opts.keyPrefix + roomId);
      args.push(tail.length);
      for (const part of tail) args.push(packFromParts([part], part.id + '\0'));
      if (args.length >= MAX_ARGS) {
        calls.push(this.addScript(keys.length, ...keys, ...args));
        keys = [];
        args = [this.size, this.opts.ttlSeconds];
      }
    }
    if (keys.length > 0) calls.push(this.addScript(keys.length, ...keys, ...args));
    await Promise.all(calls);
  }

  async recent(roomId: string, limit: number): Promise<OutboundMessage[]> {
    if (this.size <= 0 || limit <= 0) return [];
    const raw = await this.redis.zrangeBuffer(this.opts.keyPrefix + roomId, -Math.min(limit, this.size), '-1');
    const out: OutboundMessage[] = [];
    for (const b of raw) {
      try {
        out.push(...decodePack(b.subarray(b.indexOf(0) + 1)));
      } catch {
        // A corrupt cache entry is skipped; the database still has the message.
      }
    }
    const sorted = sortUnique(out);
    return sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
