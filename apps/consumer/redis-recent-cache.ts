/**
 * RecentCache on Redis lists, one per room: LPUSH of the room's new messages (one command
 * per room per batch, not per message) + LTRIM to the size + EXPIRE so rooms that went quiet
 * do not hold memory forever; all in one pipeline (PITFALLS.md: ~17k single writes/s, far
 * more when grouped). Entries are single-message packs.
 */
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../shared/offload/offload';
import { decodePack, encodePack } from '../shared/offload/pack-codec';
import { byRoom, sortUnique, type RecentCache } from './recent-cache';
import { redisClient } from './redis-stream';

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

  async add(msgs: OutboundMessage[]): Promise<void> {
    if (this.size <= 0) return;
    const rooms = byRoom(msgs);
    if (rooms.size === 0) return;
    const p = this.redis.pipeline();
    for (const [roomId, list] of rooms) {
      const key = this.opts.keyPrefix + roomId;
      const tail = list.length > this.size ? list.slice(list.length - this.size) : list;
      p.lpush(key, ...tail.map((m) => encodePack([m])));
      p.ltrim(key, 0, this.size - 1);
      if (this.opts.ttlSeconds > 0) p.expire(key, this.opts.ttlSeconds);
    }
    const res = (await p.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
  }

  async recent(roomId: string, limit: number): Promise<OutboundMessage[]> {
    if (this.size <= 0 || limit <= 0) return [];
    const raw = await this.redis.lrangeBuffer(this.opts.keyPrefix + roomId, 0, Math.min(limit, this.size) - 1);
    const out: OutboundMessage[] = [];
    for (const b of raw) {
      try {
        out.push(...decodePack(b));
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
