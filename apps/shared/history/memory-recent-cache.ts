/**
 * In-process twin of the recent-N cache: the newest `size` messages of each of at most
 * `maxRooms` rooms (least recently written rooms evicted first).
 */
import type { OutboundMessage } from '../message';
import { decodePack } from '../queue/pack-codec';
import { byRoom, sortUnique, type RecentCache } from './recent-cache';

export class MemoryRecentCache implements RecentCache {
  readonly kind = 'memory';
  private readonly rooms = new Map<string, OutboundMessage[]>();

  constructor(
    readonly size: number,
    private readonly maxRooms: number,
  ) {}

  async add(packs: Buffer[]): Promise<void> {
    if (this.size <= 0) return;
    for (const [roomId, list] of byRoom(packs.flatMap((p) => decodePack(p)))) {
      const cur = this.rooms.get(roomId) ?? [];
      this.rooms.delete(roomId); // re-insert: Map order = least recently written first
      const have = new Set(cur.map((m) => m.id));
      const next = sortUnique(cur.concat(list.filter((m) => !have.has(m.id))));
      this.rooms.set(roomId, next.length > this.size ? next.slice(next.length - this.size) : next);
      if (this.rooms.size > this.maxRooms) this.rooms.delete(this.rooms.keys().next().value as string);
    }
  }

  async recent(roomId: string, limit: number): Promise<OutboundMessage[]> {
    const sorted = this.rooms.get(roomId) ?? [];
    return limit <= 0 ? [] : sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted;
  }

  async close(): Promise<void> {}
}
