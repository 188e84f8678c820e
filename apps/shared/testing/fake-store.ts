/**
 * A Store test double for the pipeline's unit tests: rows in a Map, with switches to
 * make the "database" unavailable or refuse chosen rows. The message methods, membership
 * (what first-use creation needs, with a settable latency), rooms with owners (what the REST
 * API needs) and device tokens (what push needs) work; the real stores
 * (apps/shared/store) are exercised by the service tests.
 */
import { MAX_QUERY_LIMIT, StoreUnavailableError, type InsertResult } from '../store/message-store';
import type { Member, MemberPair, Room } from '../store/room-directory';
import { PRUNE_CHUNK_TOKENS, type DevicePlatform, type DeviceToken } from '../store/device-token-store';
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
  async removeMember(roomId: string, userId: string): Promise<boolean> {
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    return this.members.delete(`${roomId}\u0000${userId}`);
  }

  /** Names, owners and creation times of rooms made by createRoom (first-use rooms have none). */
  readonly roomInfo = new Map<string, Room>();
  async createRoom(roomId: string, name: string, ownerId: string): Promise<Room | null> {
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    if (this.rooms.has(roomId)) return null;
    const room: Room = { id: roomId, name, ownerId, createdAt: new Date() };
    this.rooms.add(roomId);
    this.roomInfo.set(roomId, room);
    this.users.add(ownerId);
    this.members.add(`${roomId}\u0000${ownerId}`);
    return { ...room };
  }
  async getRoom(roomId: string): Promise<Room | null> {
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    if (!this.rooms.has(roomId)) return null;
    return { ...(this.roomInfo.get(roomId) ?? { id: roomId, name: null, ownerId: null, createdAt: new Date(0) }) };
  }
  async listRoomsOf(userId: string, limit: number, afterRoomId?: string): Promise<Room[]> {
    const suffix = `\u0000${userId}`;
    const ids = [...this.members].filter((k) => k.endsWith(suffix)).map((k) => k.slice(0, -suffix.length));
    const page = ids.filter((id) => afterRoomId === undefined || id > afterRoomId).sort().slice(0, Math.min(limit, MAX_QUERY_LIMIT));
    return Promise.all(page.map(async (id) => (await this.getRoom(id))!));
  }
  async deleteRoom(roomId: string): Promise<boolean> {
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    if (!this.rooms.delete(roomId)) return false;
    this.roomInfo.delete(roomId);
    for (const k of [...this.members]) if (k.startsWith(`${roomId}\u0000`)) this.members.delete(k);
    return true;
  }
  /** listMembers calls (pages read). */
  listMemberCalls = 0;
  async listMembers(roomId: string, limit = MAX_QUERY_LIMIT, afterUserId?: string): Promise<Member[]> {
    this.listMemberCalls++;
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    const prefix = `${roomId}\u0000`;
    const ids = [...this.members].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).filter((u) => afterUserId === undefined || u > afterUserId).sort();
    return ids.slice(0, Math.min(limit, MAX_QUERY_LIMIT)).map((userId) => ({ userId, joinedAt: new Date(0) }));
  }

  /** Device tokens by token; `tokenCalls` counts listDeviceTokens calls. */
  readonly tokens = new Map<string, DeviceToken>();
  tokenCalls = 0;
  async upsertDeviceToken(userId: string, token: string, platform: DevicePlatform, seenAt = new Date()): Promise<void> {
    this.users.add(userId);
    this.tokens.set(token, { userId, token, platform, lastSeenAt: seenAt });
  }
  async listDeviceTokens(userIds: string[]): Promise<DeviceToken[]> {
    this.tokenCalls++;
    if (this.unavailable) throw new StoreUnavailableError('connect ECONNREFUSED (fake)');
    const wanted = new Set(userIds);
    return [...this.tokens.values()].filter((t) => wanted.has(t.userId)).sort((a, b) => (a.userId === b.userId ? (a.token < b.token ? -1 : 1) : a.userId < b.userId ? -1 : 1));
  }
  async deleteDeviceTokens(tokens: string[]): Promise<number> {
    let n = 0;
    for (const t of new Set(tokens)) if (this.tokens.delete(t)) n++;
    return n;
  }
  async deleteDeviceTokenOf(userId: string, token: string): Promise<boolean> {
    if (this.tokens.get(token)?.userId !== userId) return false;
    return this.tokens.delete(token);
  }
  async pruneDeviceTokens(notSeenSince: Date, limit = PRUNE_CHUNK_TOKENS): Promise<number> {
    const old = [...this.tokens.values()].filter((t) => t.lastSeenAt < notSeenSince).sort((a, b) => a.lastSeenAt.getTime() - b.lastSeenAt.getTime()).slice(0, limit);
    for (const t of old) this.tokens.delete(t.token);
    return old.length;
  }
  async close() {}
}
