/**
 * PackStream on a Redis Stream with a consumer group: XADD (pipelined) to append,
 * XREADGROUP to read, XAUTOCLAIM to take over entries a crashed writer left pending,
 * XACK + XDEL once stored, so XLEN is the backlog the bridge bounds.
 *
 * Durability: a pack is acked to RabbitMQ once XADD succeeded, so Redis must persist
 * (appendonly yes; appendfsync always to survive kill -9 of Redis itself, everysec loses up
 * to a second of entries on a Redis crash). If the group vanished (Redis restarted without
 * its data), it is recreated on the next NOGROUP error.
 */
import type { Redis } from 'ioredis';
import { redisClient } from '../../shared/redis-client';
import type { PackStream, StreamEntry, StreamReader } from './pack-stream';

const FIELD = 'p';

export interface RedisStreamOptions {
  url: string;
  key: string;
  group: string;
}

/** XREADGROUP / XAUTOCLAIM entries ([id, [field, value, ...]]) to StreamEntry. */
function toEntries(raw: unknown): StreamEntry[] {
  const out: StreamEntry[] = [];
  if (!Array.isArray(raw)) return out;
  for (const item of raw) {
    if (!Array.isArray(item) || item.length < 2) continue;
    const [id, fields] = item as [Buffer, Buffer[] | null];
    if (!fields) continue; // deleted while pending (XAUTOCLAIM reports those as nil)
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i].toString() === FIELD) {
        out.push({ id: id.toString(), body: fields[i + 1] });
        break;
      }
    }
  }
  return out;
}

export class RedisPackStream implements PackStream {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly readers = new Set<Redis>();

  constructor(private readonly opts: RedisStreamOptions) {
    this.redis = redisClient(opts.url, 'stompbox-stream');
    this.redis.on('error', () => undefined); // reported through failing commands
  }

  async init(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.opts.key, this.opts.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async append(bodies: Buffer[]): Promise<number> {
    const p = this.redis.pipeline();
    for (const b of bodies) p.xadd(this.opts.key, '*', FIELD, b);
    p.xlen(this.opts.key);
    const res = (await p.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
    return Number(res[res.length - 1][1]);
  }

  async length(): Promise<number> {
    return this.redis.xlen(this.opts.key);
  }

  openReader(consumer: string): StreamReader {
    const conn = redisClient(this.opts.url, `stompbox-writer-${consumer}`);
    conn.on('error', () => undefined);
    this.readers.add(conn);
    return {
      read: async (count, blockMs) => {
        // BLOCK 0 would mean "forever" to Redis: leave it out for a non-blocking read.
        const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
        const args = ['GROUP', this.opts.group, consumer, 'COUNT', count, ...block, 'STREAMS', this.opts.key, '>'];
        let raw: unknown;
        try {
          raw = await conn.callBuffer('XREADGROUP', args);
        } catch (err) {
          if (String((err as Error).message).includes('NOGROUP')) await this.init();
          throw err;
        }
        if (!Array.isArray(raw) || raw.length === 0) return [];
        // RESP2 answers [[key, entries]]; RESP3 a map, which ioredis flattens to [key, entries].
        return toEntries(Buffer.isBuffer(raw[0]) || typeof raw[0] === 'string' ? raw[1] : (raw[0] as unknown[])[1]);
      },
      close: async () => {
        this.readers.delete(conn);
        conn.disconnect();
      },
    };
  }

  async claim(consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]> {
    try {
      const raw = (await this.redis.callBuffer('XAUTOCLAIM', [this.opts.key, this.opts.group, consumer, minIdleMs, '0-0', 'COUNT', count])) as unknown[];
      return toEntries(raw[1]);
    } catch (err) {
      if (String((err as Error).message).includes('NOGROUP')) await this.init();
      throw err;
    }
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const p = this.redis.pipeline();
    p.xack(this.opts.key, this.opts.group, ...ids);
    p.xdel(this.opts.key, ...ids);
    const res = (await p.exec()) ?? [];
    for (const [err] of res) if (err) throw err;
  }

  isReady(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    for (const r of this.readers) r.disconnect();
    this.readers.clear();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
