/**
 * Recent-N messages per room, so that entering a room (SUBSCRIBE with `x-history-last`)
 * is answered from a cache and reaches the database only when the cache does not cover the
 * question. Written by the consumer's bridge as packs pass, read by CachedHistory. Redis
 * sorted sets in production (redis-recent-cache.ts), a Map in the embedded default
 * (memory-recent-cache.ts).
 */
import type { OutboundMessage } from '../message';

export interface RecentCache {
  readonly kind: string;
  /** Messages kept per room. */
  readonly size: number;
  /**
   * Remember the room messages (roomId !== null) of these packs (already validated by the
   * bridge); older ones beyond `size` per room are dropped.
   */
  add(packs: Buffer[]): Promise<void>;
  /** Up to `limit` newest cached messages of a room, oldest first, no duplicates. */
  recent(roomId: string, limit: number): Promise<OutboundMessage[]>;
  close(): Promise<void>;
}

/** Group room messages by room, keeping order. */
export function byRoom(msgs: OutboundMessage[]): Map<string, OutboundMessage[]> {
  const rooms = new Map<string, OutboundMessage[]>();
  for (const m of msgs) {
    if (m.roomId === null) continue;
    let list = rooms.get(m.roomId);
    if (!list) rooms.set(m.roomId, (list = []));
    list.push(m);
  }
  return rooms;
}

/** Sort ascending by id and drop repeated ids (a redelivered pack is cached twice). */
export function sortUnique(msgs: OutboundMessage[]): OutboundMessage[] {
  msgs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: OutboundMessage[] = [];
  for (const m of msgs) if (out.length === 0 || out[out.length - 1].id !== m.id) out.push(m);
  return out;
}
