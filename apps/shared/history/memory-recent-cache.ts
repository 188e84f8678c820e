/**
 * In-process twin of the recent-N cache: the newest `size` messages of each room, for at most
 * `maxRooms` rooms and `maxBytes` over all rooms (least recently written rooms evicted first).
 * It lives in this process's memory, so unlike Redis it is bounded in bytes here.
 */
import { heldBytes, type OutboundMessage } from '../message';
import { decodePack } from '../queue/pack-codec';
import { byRoom, sortUnique, type RecentCache } from './recent-cache';

interface Room {
  msgs: OutboundMessage[];
  bytes: number;
}

export class MemoryRecentCache implements RecentCache {
  readonly kind = 'memory';
  private readonly rooms = new Map<string, Room>();
  private total = 0;

  constructor(
    readonly size: number,
    private readonly maxRooms: number,
    private readonly maxBytes = Infinity,
  ) {}

  /** Estimated bytes held over all rooms. */
  get bytes(): number {
    return this.total;
  }

  async add(packs: Buffer[]): Promise<void> {
    if (this.size <= 0) return;
    for (const [roomId, list] of byRoom(packs.flatMap((p) => decodePack(p)))) {
      const cur = this.rooms.get(roomId);
      const prev = cur?.msgs ?? [];
      if (cur) {
        this.rooms.delete(roomId); // re-insert: Map order = least recently written first
        this.total -= cur.bytes;
      }
      const have = new Set(prev.map((m) => m.id));
      const merged = sortUnique(prev.concat(list.filter((m) => !have.has(m.id))));
      const msgs = merged.length > this.size ? merged.slice(merged.length - this.size) : merged;
      let bytes = 0;
      for (const m of msgs) bytes += heldBytes(m);
      this.rooms.set(roomId, { msgs, bytes });
      this.total += bytes;
      while ((this.rooms.size > this.maxRooms || this.total > this.maxBytes) && this.rooms.size > 1) this.evictOldest();
    }
  }

  async recent(roomId: string, limit: number): Promise<OutboundMessage[]> {
    const sorted = this.rooms.get(roomId)?.msgs ?? [];
    return limit <= 0 ? [] : sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted;
  }

  async close(): Promise<void> {}

  private evictOldest(): void {
    const oldest = this.rooms.keys().next().value as string;
    this.total -= this.rooms.get(oldest)!.bytes;
    this.rooms.delete(oldest);
  }
}
