/**
 * Per-room ring of messages this node routed recently. History on SUBSCRIBE merges it with
 * the persistent source, so a message still on its way to the cache or the database
 * (persistence is asynchronous) is not missing from the replay. Bounded three ways: messages
 * per room, rooms, and bytes over all rooms (least recently written rooms go first).
 */
import { heldBytes, type OutboundMessage } from '../message';

interface Ring {
  msgs: OutboundMessage[];
  /** Held bytes of each message in msgs (computed once, at add). */
  sizes: number[];
  bytes: number;
}

export interface RecentRingLimits {
  perRoom: number;
  maxRooms?: number;
  /** Bytes of all rings together (bodies, headers and bookkeeping, estimated). */
  maxBytes?: number;
}

export class RecentRing {
  private readonly rooms = new Map<string, Ring>();
  private readonly perRoom: number;
  private readonly maxRooms: number;
  private readonly maxBytes: number;
  private total = 0;
  /** Rooms dropped whole to stay within the room or byte bound (a metric). */
  evictions = 0;

  constructor(limits: RecentRingLimits) {
    this.perRoom = limits.perRoom;
    this.maxRooms = limits.maxRooms ?? 10_000;
    this.maxBytes = limits.maxBytes ?? Infinity;
  }

  add(msg: OutboundMessage): void {
    if (this.perRoom === 0 || msg.roomId === null) return;
    let ring = this.rooms.get(msg.roomId);
    if (ring) {
      // Re-insert to mark the room most recently used (Map keeps insertion order).
      this.rooms.delete(msg.roomId);
    } else {
      ring = { msgs: [], sizes: [], bytes: 0 };
      if (this.rooms.size >= this.maxRooms) this.evictOldest();
    }
    this.rooms.set(msg.roomId, ring);
    const size = heldBytes(msg);
    ring.msgs.push(msg);
    ring.sizes.push(size);
    ring.bytes += size;
    this.total += size;
    // Amortised trim: let the array grow to twice its bound, then cut back.
    if (ring.msgs.length > this.perRoom * 2) this.trim(ring, ring.msgs.length - this.perRoom);
    while (this.total > this.maxBytes && this.rooms.size > 0) {
      const oldest = this.rooms.keys().next().value!;
      if (oldest === msg.roomId) {
        // Only the room being written is left: drop its oldest messages, keep at least this one.
        if (ring.msgs.length <= 1) break;
        this.trim(ring, 1);
      } else this.evictOldest();
    }
  }

  /** Copy of the room's recent messages, oldest first, at most `perRoom`. */
  snapshot(roomId: string): OutboundMessage[] {
    const ring = this.rooms.get(roomId);
    if (!ring) return [];
    const msgs = ring.msgs;
    return msgs.length > this.perRoom ? msgs.slice(msgs.length - this.perRoom) : msgs.slice();
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Estimated bytes held by all rings. */
  get bytes(): number {
    return this.total;
  }

  private trim(ring: Ring, n: number): void {
    ring.msgs.splice(0, n);
    for (const size of ring.sizes.splice(0, n)) {
      ring.bytes -= size;
      this.total -= size;
    }
  }

  private evictOldest(): void {
    const oldest = this.rooms.keys().next();
    if (oldest.done) return;
    this.total -= this.rooms.get(oldest.value)!.bytes;
    this.rooms.delete(oldest.value);
    this.evictions++;
  }
}
