/**
 * Store over a Prisma 7 client; the driver adapter decides which Postgres it talks to
 * (postgres-store.ts: @prisma/adapter-pg; pglite-worker.ts: pglite-prisma-adapter). Reads use
 * the Prisma query API; the hot path, insertBatch, uses Prisma's raw-SQL path with array
 * parameters (one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING per chunk), since
 * createMany measured ~5k rows/s here against ~40k for the unnest statement (apps/README.md
 * "Measured facts").
 */
import type { OutboundMessage } from '../message';
import type { PrismaClient } from './generated/prisma/client';
import { describeDbError } from './db-errors';
import { INSERT_SQL, insertParams, rowToMessage, toColumns } from './message-rows';
import { INSERT_CHUNK_ROWS, MAX_QUERY_LIMIT, StoreUnavailableError, type InsertResult, type RejectedRow } from './message-store';
import type { DevicePlatform, DeviceToken } from './device-token-store';
import type { Member, MemberPair } from './room-directory';
import { ADD_MEMBERS_SQL, memberParams } from './member-rows';
import type { Store } from './store';
import { checkId, checkLimit, checkPlatform } from './validate';

export class PrismaMessageStore implements Store {
  private closed = false;

  constructor(
    readonly kind: string,
    private readonly prisma: PrismaClient,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async insertBatch(msgs: OutboundMessage[]): Promise<InsertResult> {
    this.open();
    const rejected: RejectedRow[] = [];
    // Non-room messages are not persisted; duplicates inside one batch are dropped here (the
    // statement would skip them too, but they would count against nothing useful).
    const seen = new Set<string>();
    const rows: OutboundMessage[] = [];
    for (const m of msgs) {
      if (m.roomId === null || m.roomId === undefined) {
        rejected.push({ id: m.id, reason: `not a room message (destination ${m.destination})` });
      } else if (typeof m.id !== 'string' || m.id === '') {
        rejected.push({ id: String(m.id), reason: 'empty message id' });
      } else if (!seen.has(m.id)) {
        seen.add(m.id);
        rows.push(m);
      }
    }
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
      inserted += await this.insertChunk(rows.slice(i, i + INSERT_CHUNK_ROWS), rejected);
    }
    return { inserted, rejected };
  }

  /** One statement; on a data error bisect so only the offending rows are rejected. */
  private async insertChunk(rows: OutboundMessage[], rejected: RejectedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      return await this.prisma.$executeRawUnsafe(INSERT_SQL, ...insertParams(toColumns(rows)));
    } catch (err) {
      const info = describeDbError(err);
      if (!info.isDataError) throw new StoreUnavailableError(`insert failed: ${info.message}`, { cause: err });
      if (rows.length === 1) {
        rejected.push({ id: rows[0].id, reason: info.message, code: info.sqlState });
        return 0;
      }
      const mid = rows.length >> 1;
      return (await this.insertChunk(rows.slice(0, mid), rejected)) + (await this.insertChunk(rows.slice(mid), rejected));
    }
  }

  async lastMessages(roomId: string, limit: number): Promise<OutboundMessage[]> {
    return this.messagesBefore(roomId, null, limit);
  }

  async messagesAfter(roomId: string, afterId: string, limit: number): Promise<OutboundMessage[]> {
    this.open();
    checkId('roomId', roomId);
    checkId('afterId', afterId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    const rows = await this.read(() =>
      this.prisma.message.findMany({ where: { roomId, id: { gt: afterId } }, orderBy: { id: 'asc' }, take }),
    );
    return rows.map(rowToMessage);
  }

  async messagesBefore(roomId: string, beforeId: string | null, limit: number): Promise<OutboundMessage[]> {
    this.open();
    checkId('roomId', roomId);
    if (beforeId !== null) checkId('beforeId', beforeId);
    const take = checkLimit(limit);
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

  async listMembers(roomId: string, limit: number = MAX_QUERY_LIMIT): Promise<Member[]> {
    this.open();
    checkId('roomId', roomId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    const rows = await this.read(() =>
      this.prisma.membership.findMany({ where: { roomId }, orderBy: { userId: 'asc' }, take, select: { userId: true, joinedAt: true } }),
    );
    return rows.map((r) => ({ userId: r.userId, joinedAt: r.joinedAt }));
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
