/**
 * A Store test double for the pipeline's unit tests: rows in a Map, with switches to
 * make the "database" unavailable or refuse chosen rows. The message methods and membership
 * (what first-use creation needs, with a settable latency) work; the real stores
 * (apps/shared/store) are exercised by the service tests.
 */
import { StoreUnavailableError, type InsertResult } from '../store/message-store';
import type { MemberPair } from '../store/room-directory';
import type { Store } from '../store/store';
import type { OutboundMessage } from '../message';
import { sleep } from '../sleep';

export class FakeStore implements Store {
  readonly kind = 'fake';
  readonly rows = new Map<string, OutboundMessage>();
  /** Times each id was offered to insertBatch (duplicates included). */
  readonly offered = new Map<string, number>();
  unavailable = false;
  insertCalls = 0;
  /** Rows for which this returns a reason are refused like a database data error. */
  refuse: (m: OutboundMessage) => string | null = (m) => (m.headers['x-poison'] !== undefined ? 'invalid input: poison header' : null);

  /** A batch holding a message for which this is true throws a plain Error (a store bug). */
  explode: (m: OutboundMessage) => boolean = (m) => m.headers['x-explode'] !== undefined;

  async insertBatch(msgs: OutboundMessage[]): Promise<InsertResult> {
    this.insertCalls++;
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    if (msgs.some(this.explode)) throw new Error('cannot encode row (fake)');
    const res: InsertResult = { inserted: 0, rejected: [] };
    for (const m of msgs) {
      this.offered.set(m.id, (this.offered.get(m.id) ?? 0) + 1);
      const why = m.roomId === null ? 'not a room message' : this.refuse(m);
      if (why) {
        res.rejected.push({ id: m.id, reason: why, code: '22000' });
        continue;
      }
      if (!this.rows.has(m.id)) {
        this.rows.set(m.id, m);
        res.inserted++;
      }
    }
    return res;
  }

  private room(roomId: string): OutboundMessage[] {
    return [...this.rows.values()].filter((m) => m.roomId === roomId).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  async lastMessages(roomId: string, limit: number) {
    const r = this.room(roomId);
    return r.slice(Math.max(0, r.length - limit));
  }
  async messagesAfter(roomId: string, afterId: string, limit: number) {
    return this.room(roomId).filter((m) => m.id > afterId).slice(0, limit);
  }
  async messagesBefore(roomId: string, beforeId: string | null, limit: number) {
    const r = this.room(roomId).filter((m) => beforeId === null || m.id < beforeId);
    return r.slice(Math.max(0, r.length - limit));
  }
  async countMessages(roomId?: string) {
    return roomId ? this.room(roomId).length : this.rows.size;
  }
  private unsupported(): never {
    throw new Error('FakeStore: not supported');
  }

  /** Rooms, users and `room\u0000user` memberships created so far. */
  readonly rooms = new Set<string>();
  readonly users = new Set<string>();
  readonly members = new Set<string>();
  /** Membership calls made (addMember or addMembers) and pairs offered to them. */
  memberCalls = 0;
  memberPairsOffered = 0;
  /** What one membership call costs: a round trip, plus rows written (a database's work). */
  memberLatency = { perCallMs: 0, perPairMs: 0 };

  async addMember(roomId: string, userId: string): Promise<boolean> {
    return (await this.addMembers([{ roomId, userId }])) === 1;
  }
  async addMembers(pairs: readonly MemberPair[]): Promise<number> {
    this.memberCalls++;
    this.memberPairsOffered += pairs.length;
    const ms = this.memberLatency.perCallMs + this.memberLatency.perPairMs * pairs.length;
    if (ms > 0) await sleep(ms);
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    let added = 0;
    for (const p of pairs) {
      this.rooms.add(p.roomId);
      this.users.add(p.userId);
      const key = `${p.roomId}\u0000${p.userId}`;
      if (!this.members.has(key)) {
        this.members.add(key);
        added++;
      }
    }
    return added;
  }
  async isMember(roomId: string, userId: string): Promise<boolean> {
    return this.members.has(`${roomId}\u0000${userId}`);
  }
  async roomExists(roomId: string): Promise<boolean> {
    return this.rooms.has(roomId);
  }
  async ensureRoomAndUser() { this.unsupported(); }
  async ensureUser() { this.unsupported(); }
  async ensureRoom() { this.unsupported(); }
  async removeMember(): Promise<boolean> { this.unsupported(); }
  async listMembers(): Promise<never[]> { this.unsupported(); }
  async upsertDeviceToken() { this.unsupported(); }
  async listDeviceTokens(): Promise<never[]> { this.unsupported(); }
  async deleteDeviceTokens(): Promise<number> { this.unsupported(); }
  async close() {}
}
