/**
 * RecentCache on Redis, one sorted set per room: every member has score 0 and is
 * `<message id> NUL <single-message pack>`, so Redis orders members by id (ids sort by time as
 * plain bytes) and a redelivered message (same bytes) is not added twice. Per batch and room:
 * one ZADD of the room's new messages, ZREMRANGEBYRANK to keep the newest `size`, EXPIRE so
 * quiet rooms do not hold memory forever; all in one pipeline (single writes, one round trip
 * each, measured ~17k/s: apps/README.md "Measured facts"; grouped per room it is far cheaper).
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

export class RedisRecentCache implements RecentCache {
  readonly kind = 'redis';
  readonly size: number;
  private readonly redis: Redis;

  constructor(private readonly opts: RedisRecentCacheOptions) {
    this.size = opts.size;
    this.redis = redisClient(opts.url, 'stompbox-recent');
    this.redis.on('error', () => undefined);
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
    if (rooms.size === 0) return;
    const p = this.redis.pipeline();
    for (const [roomId, list] of rooms) {
      const key = this.opts.keyPrefix + roomId;
      const tail = list.length > this.size ? list.slice(list.length - this.size) : list;
      const args: Array<number | Buffer> = [];
      for (const part of tail) args.push(0, packFromParts([part], part.id + '\0'));
      p.zadd(key, ...args);
      p.zremrangebyrank(key, 0, -this.size - 1);
      if (this.opts.ttlSeconds > 0) p.expire(key, this.opts.ttlSeconds);
    }
    const res = (await p.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
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
