/**
 * Store over a Prisma 7 client; the driver adapter decides which Postgres it talks to
 * (postgres-store.ts: @prisma/adapter-pg; pglite-worker.ts: pglite-prisma-adapter). Reads use
 * the Prisma query API; the hot path, insertBatch, goes through a RowInserter (row-inserter.ts):
 * COPY or unnest through the driver itself where the opener passes one, else one
 * INSERT ... SELECT FROM unnest(...) through Prisma's raw-SQL path (createMany measured ~5k
 * rows/s here against ~40k for that statement: apps/README.md "Measured facts").
 */
import type { OutboundMessage } from '../message';
import type { PrismaClient } from './generated/prisma/client';
import { describeDbError } from './db-errors';
import { prismaBackend } from './insert-backends';
import type { PackedRows } from './packed-rows';
import { RowInserter } from './row-inserter';
import { rowToMessage } from './message-rows';
import { INSERT_CHUNK_ROWS, MAX_QUERY_LIMIT, StoreUnavailableError, type InsertResult } from './message-store';
import { PRUNE_CHUNK_TOKENS, type DevicePlatform, type DeviceToken } from './device-token-store';
import { MAX_ROOM_NAME, type Member, type MemberPair, type Room } from './room-directory';
import { ADD_MEMBERS_SQL, memberParams } from './member-rows';
import type { Store } from './store';
import { checkId, checkLimit, checkPage, checkPlatform, InvalidArgumentError } from './validate';

/** Oldest device tokens not seen since $1, at most $2 of them. */
const PRUNE_TOKENS_SQL =
  'DELETE FROM device_tokens WHERE token IN (SELECT token FROM device_tokens WHERE last_seen_at < $1 ORDER BY last_seen_at LIMIT $2)';

/** The columns of a Room, as the RoomDirectory returns it. */
const ROOM_COLUMNS = { id: true, name: true, ownerId: true, createdAt: true } as const;

export class PrismaMessageStore implements Store {
  private closed = false;

  constructor(
    readonly kind: string,
    private readonly prisma: PrismaClient,
    private readonly onClose: () => Promise<void> = async () => {},
    /** The insert path; by default Prisma's raw-SQL path (insert-backends.ts). */
    private readonly inserter: RowInserter = new RowInserter(prismaBackend(prisma), 'prisma', INSERT_CHUNK_ROWS),
  ) {}

  /** insertBatch takes PackedRows too (row-inserter.ts). */
  readonly packedRows = true;

  async insertBatch(batch: OutboundMessage[] | PackedRows): Promise<InsertResult> {
    this.open();
    return this.inserter.insert(batch);
  }

  async lastMessages(roomId: string, limit: number): Promise<OutboundMessage[]> {
    return this.messagesBefore(roomId, null, limit);
  }

  async messagesAfter(roomId: string, afterId: string, limit: number): Promise<OutboundMessage[]> {
    this.open();
    const take = checkPage(roomId, 'afterId', afterId, limit);
    if (take === 0) return [];
    const rows = await this.read(() =>
      this.prisma.message.findMany({ where: { roomId, id: { gt: afterId } }, orderBy: { id: 'asc' }, take }),
    );
    return rows.map(rowToMessage);
  }

  async messagesBefore(roomId: string, beforeId: string | null, limit: number): Promise<OutboundMessage[]> {
    this.open();
    const take = checkPage(roomId, 'beforeId', beforeId, limit);
    if (take === 0) return [];
    const rows = await this.read(() =>
      this.prisma.message.findMany({
        where: beforeId === null ? { roomId } : { roomId, id: { lt: beforeId } },
        orderBy: { id: 'desc' },
        take,
      }),
    );
    return rows.reverse().map(rowToMessage);
  }

  async countMessages(roomId?: string): Promise<number> {
    this.open();
    if (roomId !== undefined) checkId('roomId', roomId);
    return this.read(() => this.prisma.message.count({ where: roomId === undefined ? {} : { roomId } }));
  }

  async ensureRoomAndUser(roomId: string, userId: string): Promise<void> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    await this.read(() =>
      this.prisma.$transaction([
        this.prisma.room.createMany({ data: [{ id: roomId }], skipDuplicates: true }),
        this.prisma.user.createMany({ data: [{ id: userId }], skipDuplicates: true }),
      ]),
    );
  }

  async ensureUser(userId: string): Promise<void> {
    this.open();
    checkId('userId', userId);
    await this.read(() => this.prisma.user.createMany({ data: [{ id: userId }], skipDuplicates: true }));
  }

  async ensureRoom(roomId: string): Promise<void> {
    this.open();
    checkId('roomId', roomId);
    await this.read(() => this.prisma.room.createMany({ data: [{ id: roomId }], skipDuplicates: true }));
  }

  async roomExists(roomId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    return (await this.read(() => this.prisma.room.count({ where: { id: roomId } }))) > 0;
  }

  async addMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    const [, , added] = await this.read(() =>
      this.prisma.$transaction([
        this.prisma.room.createMany({ data: [{ id: roomId }], skipDuplicates: true }),
        this.prisma.user.createMany({ data: [{ id: userId }], skipDuplicates: true }),
        this.prisma.membership.createMany({ data: [{ roomId, userId }], skipDuplicates: true }),
      ]),
    );
    return added.count > 0;
  }

  async addMembers(pairs: readonly MemberPair[]): Promise<number> {
    this.open();
    for (const p of pairs) {
      checkId('roomId', p.roomId);
      checkId('userId', p.userId);
    }
    let added = 0;
    for (let i = 0; i < pairs.length; i += INSERT_CHUNK_ROWS) {
      const chunk = pairs.slice(i, i + INSERT_CHUNK_ROWS);
      added += await this.read(() => this.prisma.$executeRawUnsafe(ADD_MEMBERS_SQL, ...memberParams(chunk)));
    }
    return added;
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    const r = await this.read(() => this.prisma.membership.deleteMany({ where: { roomId, userId } }));
    return r.count > 0;
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    return (await this.read(() => this.prisma.membership.count({ where: { roomId, userId } }))) > 0;
  }

  async listMembers(roomId: string, limit: number = MAX_QUERY_LIMIT, afterUserId?: string): Promise<Member[]> {
    this.open();
    checkId('roomId', roomId);
    if (afterUserId !== undefined) checkId('afterUserId', afterUserId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    // Keyset on the primary key (room_id, user_id): each page is an index range scan, however deep.
    const where = afterUserId === undefined ? { roomId } : { roomId, userId: { gt: afterUserId } };
    const rows = await this.read(() =>
      this.prisma.membership.findMany({ where, orderBy: { userId: 'asc' }, take, select: { userId: true, joinedAt: true } }),
    );
    return rows.map((r) => ({ userId: r.userId, joinedAt: r.joinedAt }));
  }

  async createRoom(roomId: string, name: string, ownerId: string): Promise<Room | null> {
    this.open();
    checkId('roomId', roomId);
    checkId('name', name, MAX_ROOM_NAME);
    checkId('ownerId', ownerId);
    // Interactive: the membership is written only when the room was new, in the same transaction.
    return this.read(() =>
      this.prisma.$transaction(async (tx) => {
        await tx.user.createMany({ data: [{ id: ownerId }], skipDuplicates: true });
        const made = await tx.room.createMany({ data: [{ id: roomId, name, ownerId }], skipDuplicates: true });
        if (made.count === 0) return null;
        await tx.membership.create({ data: { roomId, userId: ownerId } });
        return tx.room.findUniqueOrThrow({ where: { id: roomId }, select: ROOM_COLUMNS });
      }),
    );
  }

  async getRoom(roomId: string): Promise<Room | null> {
    this.open();
    checkId('roomId', roomId);
    return this.read(() => this.prisma.room.findUnique({ where: { id: roomId }, select: ROOM_COLUMNS }));
  }

  async listRoomsOf(userId: string, limit: number, afterRoomId?: string): Promise<Room[]> {
    this.open();
    checkId('userId', userId);
    if (afterRoomId !== undefined) checkId('afterRoomId', afterRoomId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    const rows = await this.read(() =>
      this.prisma.membership.findMany({
        where: afterRoomId === undefined ? { userId } : { userId, roomId: { gt: afterRoomId } },
        orderBy: { roomId: 'asc' },
        take,
        select: { room: { select: ROOM_COLUMNS } },
      }),
    );
    return rows.map((r) => r.room);
  }

  async deleteRoom(roomId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    // Memberships go with it (ON DELETE CASCADE); messages stay (no foreign key, see RoomDirectory).
    const r = await this.read(() => this.prisma.room.deleteMany({ where: { id: roomId } }));
    return r.count > 0;
  }

  async upsertDeviceToken(userId: string, token: string, platform: DevicePlatform): Promise<void> {
    this.open();
    checkId('userId', userId);
    checkId('token', token, 4096);
    checkPlatform(platform);
    const now = new Date();
    await this.read(() =>
      this.prisma.$transaction([
        this.prisma.user.createMany({ data: [{ id: userId }], skipDuplicates: true }),
        this.prisma.deviceToken.upsert({
          where: { token },
          create: { token, userId, platform, lastSeenAt: now },
          update: { userId, platform, lastSeenAt: now },
        }),
      ]),
    );
  }

  async listDeviceTokens(userIds: string[]): Promise<DeviceToken[]> {
    this.open();
    if (userIds.length === 0) return [];
    userIds.forEach((u) => checkId('userId', u));
    const rows = await this.read(() =>
      this.prisma.deviceToken.findMany({ where: { userId: { in: [...new Set(userIds)] } }, orderBy: [{ userId: 'asc' }, { token: 'asc' }] }),
    );
    return rows.map((r) => ({ userId: r.userId, token: r.token, platform: r.platform as DevicePlatform, lastSeenAt: r.lastSeenAt }));
  }

  async deleteDeviceTokens(tokens: string[]): Promise<number> {
    this.open();
    if (tokens.length === 0) return 0;
    const r = await this.read(() => this.prisma.deviceToken.deleteMany({ where: { token: { in: [...new Set(tokens)] } } }));
    return r.count;
  }

  async deleteDeviceTokenOf(userId: string, token: string): Promise<boolean> {
    this.open();
    checkId('userId', userId);
    checkId('token', token, 4096);
    const r = await this.read(() => this.prisma.deviceToken.deleteMany({ where: { token, userId } }));
    return r.count > 0;
  }

  async pruneDeviceTokens(notSeenSince: Date, limit: number = PRUNE_CHUNK_TOKENS): Promise<number> {
    this.open();
    if (!(notSeenSince instanceof Date) || Number.isNaN(notSeenSince.getTime())) throw new InvalidArgumentError('notSeenSince must be a valid Date');
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer, got ${String(limit)}`);
    // Bounded per statement (a LIMIT inside the sub-select): Prisma's deleteMany has no limit.
    return this.read(() => this.prisma.$executeRawUnsafe(PRUNE_TOKENS_SQL, notSeenSince, limit));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.prisma.$disconnect().catch(() => {});
    await this.onClose();
  }

  private open(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.kind} store is closed`);
  }

  /** Run a query; connection trouble becomes StoreUnavailableError, bad input stays as is. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const info = describeDbError(err);
      if (info.isDataError) throw new Error(`${this.kind}: ${info.message}`, { cause: err });
      throw new StoreUnavailableError(`${this.kind}: ${info.message}`, { cause: err });
    }
  }
}
