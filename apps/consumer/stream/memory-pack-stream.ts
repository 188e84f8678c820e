/**
 * In-process twin of the Redis Stream buffer (embedded default): same consumer-group semantics
 * (read once per group, pending until acked, claim after idle), kept in this process's memory.
 * Bounded by the bridge like the Redis one (it stops taking packs past the bound), in entries
 * and, since it lives in this process's memory, in bytes (`heldBytes`).
 */
import type { PackStream, StreamEntry, StreamReader } from './pack-stream';

interface Entry {
  id: string;
  body: Buffer;
  /** Consumer holding it, and since when; null while unread. */
  owner: string | null;
  deliveredAt: number;
}

export class MemoryPackStream implements PackStream {
  readonly kind = 'memory';
  /** Every unacknowledged entry, in id order. */
  private readonly entries = new Map<string, Entry>();
  /** Ids never delivered, in order. */
  private unread: string[] = [];
  private unreadHead = 0;
  private lastMs = 0;
  private seq = 0;
  private waiters = new Set<() => void>();
  private closed = false;
  heldBytes = 0;

  /**
   * @param onStored called with each entry's pack once it is acknowledged, i.e. once its rows
   * are committed (the writer acks after the insert): the in-process queue confirms the pack
   * to the broker then, so a RECEIPT means stored.
   */
  constructor(private readonly onStored?: (pack: Buffer) => void) {}

  async init(): Promise<void> {}

  async append(bodies: Buffer[]): Promise<number> {
    for (const body of bodies) {
      const now = Date.now();
      if (now > this.lastMs) {
        this.lastMs = now;
        this.seq = 0;
      } else this.seq++;
      const id = `${this.lastMs}-${this.seq}`;
      this.entries.set(id, { id, body, owner: null, deliveredAt: 0 });
      this.heldBytes += body.length;
      this.unread.push(id);
    }
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
    return this.entries.size;
  }

  async length(): Promise<number> {
    return this.entries.size;
  }

  openReader(consumer: string): StreamReader {
    return {
      read: async (count, blockMs) => {
        let out = this.take(consumer, count);
        if (out.length > 0 || blockMs <= 0 || this.closed) return out;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            this.waiters.delete(done);
            resolve();
          };
          const t = setTimeout(done, blockMs);
          this.waiters.add(done);
        });
        out = this.take(consumer, count);
        return out;
      },
      close: async () => {},
    };
  }

  private take(consumer: string, count: number): StreamEntry[] {
    const out: StreamEntry[] = [];
    const now = Date.now();
    while (out.length < count && this.unreadHead < this.unread.length) {
      const e = this.entries.get(this.unread[this.unreadHead++]);
      if (!e) continue;
      e.owner = consumer;
      e.deliveredAt = now;
      out.push({ id: e.id, body: e.body });
    }
    if (this.unreadHead > 1024 && this.unreadHead * 2 > this.unread.length) {
      this.unread = this.unread.slice(this.unreadHead);
      this.unreadHead = 0;
    }
    return out;
  }

  async claim(consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    const limit = Date.now() - minIdleMs;
    for (const e of this.entries.values()) {
      if (out.length >= count) break;
      if (e.owner === null || e.deliveredAt > limit) continue;
      e.owner = consumer;
      e.deliveredAt = Date.now();
      out.push({ id: e.id, body: e.body });
    }
    return out;
  }

  async ack(ids: string[]): Promise<void> {
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      this.heldBytes -= e.body.length;
      this.entries.delete(id);
      this.onStored?.(e.body);
    }
  }

  isReady(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w();
  }
}
