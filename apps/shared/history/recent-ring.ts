/**
 * Per-room ring of messages this node routed recently. History on SUBSCRIBE merges it with
 * the persistent source, so a message still on its way to the cache or the database
 * (persistence is asynchronous) is not missing from the replay. Bounded twice: messages
 * per room, and rooms (least recently written rooms are dropped first).
 */
import type { OutboundMessage } from '../message';

export class RecentRing {
  private readonly rooms = new Map<string, OutboundMessage[]>();

  constructor(
    private readonly perRoom: number,
    private readonly maxRooms = 10_000,
  ) {}

  add(msg: OutboundMessage): void {
    if (this.perRoom === 0 || msg.roomId === null) return;
    let ring = this.rooms.get(msg.roomId);
    if (ring) {
      // Re-insert to mark the room most recently used (Map keeps insertion order).
      this.rooms.delete(msg.roomId);
    } else {
      ring = [];
      if (this.rooms.size >= this.maxRooms) {
        const oldest = this.rooms.keys().next().value;
        if (oldest !== undefined) this.rooms.delete(oldest);
      }
    }
    this.rooms.set(msg.roomId, ring);
    ring.push(msg);
    // Amortised trim: let the array grow to twice its bound, then cut back.
    if (ring.length > this.perRoom * 2) ring.splice(0, ring.length - this.perRoom);
  }

  /** Copy of the room's recent messages, oldest first, at most `perRoom`. */
  snapshot(roomId: string): OutboundMessage[] {
    const ring = this.rooms.get(roomId);
    if (!ring) return [];
    return ring.length > this.perRoom ? ring.slice(ring.length - this.perRoom) : ring.slice();
  }

  get roomCount(): number {
    return this.rooms.size;
  }
}
