/**
 * Store on a real PostgreSQL (DATABASE_URL) through `pg` alone: every query is plain SQL over
 * one pool, the same statements Prisma issues for PrismaMessageStore (prisma-store.ts), and the
 * same contract (postgres-store.test.ts runs both). For a process that only reads and manages
 * rooms, such as the broker: Prisma's query compiler is a WebAssembly module that, once the
 * first query loads it, holds 60–90 MiB per process, and a broker process serves a few short
 * queries (history, membership, the REST API) that need none of it.
 */
import pg from 'pg';
import type { OutboundMessage } from '../message';
import { describeDbError } from './db-errors';
import { pgBackend } from './insert-backends';
import { ADD_MEMBERS_SQL, memberParams } from './member-rows';
import { rowToMessage, type MessageRow } from './message-rows';
import { INSERT_CHUNK_ROWS, MAX_QUERY_LIMIT, StoreUnavailableError, type InsertResult } from './message-store';
import { PRUNE_CHUNK_TOKENS, type DevicePlatform, type DeviceToken } from './device-token-store';
import type { PackedRows } from './packed-rows';
import { migratePostgres } from './pg-migrate';
import { MAX_ROOM_NAME, type Member, type MemberPair, type Room } from './room-directory';
import type { PostgresStoreOptions } from './postgres-store';
import { RowInserter } from './row-inserter';
import type { Store } from './store';
import { checkId, checkLimit, checkPage, checkPlatform, InvalidArgumentError } from './validate';

/** The same options as the Prisma-backed store; insertPath `prisma` sends its unnest statement through `pg` here. */
export type SqlStoreOptions = PostgresStoreOptions;

const MESSAGE_COLUMNS = `id, room_id AS "roomId", destination, sender_id AS "senderId", node_id AS "nodeId", body,
  body_bytes AS "bodyBytes", content_type AS "contentType", headers, created_at AS "createdAt"`;
const ROOM_COLUMNS = `id, name, owner_id AS "ownerId", created_at AS "createdAt"`;

/** Oldest device tokens not seen since $1, at most $2 of them. */
const PRUNE_TOKENS_SQL =
  'DELETE FROM device_tokens WHERE token IN (SELECT token FROM device_tokens WHERE last_seen_at < $1 ORDER BY last_seen_at LIMIT $2)';

// One statement each where Prisma sends a batch transaction: data-modifying CTEs run in the one
// statement, and foreign keys are checked at its end, so the rows they insert satisfy them.
const ENSURE_ROOM_SQL = 'INSERT INTO rooms (id) VALUES ($1) ON CONFLICT DO NOTHING';
const ENSURE_USER_SQL = 'INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING';
const ENSURE_ROOM_AND_USER_SQL = `WITH r AS (${ENSURE_ROOM_SQL}) INSERT INTO users (id) VALUES ($2) ON CONFLICT DO NOTHING`;
const ADD_MEMBER_SQL = `WITH r AS (${ENSURE_ROOM_SQL}), u AS (INSERT INTO users (id) VALUES ($2) ON CONFLICT DO NOTHING)
INSERT INTO memberships (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`;
/** The owner's membership is written only when the room is new (the room CTE returned it). */
const CREATE_ROOM_SQL = `WITH u AS (INSERT INTO users (id) VALUES ($3) ON CONFLICT DO NOTHING),
r AS (INSERT INTO rooms (id, name, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING ${ROOM_COLUMNS}),
m AS (INSERT INTO memberships (room_id, user_id) SELECT id, $3 FROM r)
SELECT * FROM r`;
const UPSERT_TOKEN_SQL = `WITH u AS (INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING)
INSERT INTO device_tokens (token, user_id, platform, last_seen_at) VALUES ($2, $1, $3, $4)
ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, last_seen_at = EXCLUDED.last_seen_at`;

export async function openSqlStore(opts: SqlStoreOptions): Promise<Store> {
  if (opts.migrate ?? true) await migratePostgres(opts.url, opts.log);
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax ?? 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined); // an idle client's connection dropped: the next checkout reconnects
  const path = opts.insertPath === 'prisma' ? 'unnest' : (opts.insertPath ?? 'copy');
  return new SqlStore('postgres', pool, new RowInserter(pgBackend(pool, opts.copy), path, opts.insertChunkRows ?? INSERT_CHUNK_ROWS));
}

export class SqlStore implements Store {
  private closed = false;

  constructor(
    readonly kind: string,
    private readonly pool: pg.Pool,
    private readonly inserter: RowInserter,
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
    const rows = await this.rows<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3`, [roomId, afterId, take]);
    return rows.map(rowToMessage);
  }

  async messagesBefore(roomId: string, beforeId: string | null, limit: number): Promise<OutboundMessage[]> {
    this.open();
    const take = checkPage(roomId, 'beforeId', beforeId, limit);
    if (take === 0) return [];
    const rows =
      beforeId === null
        ? await this.rows<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 ORDER BY id DESC LIMIT $2`, [roomId, take])
        : await this.rows<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, [roomId, beforeId, take]);
    return rows.reverse().map(rowToMessage);
  }

  async countMessages(roomId?: string): Promise<number> {
    this.open();
    if (roomId !== undefined) checkId('roomId', roomId);
    const [row] =
      roomId === undefined
        ? await this.rows<{ n: string }>('SELECT count(*) AS n FROM messages')
        : await this.rows<{ n: string }>('SELECT count(*) AS n FROM messages WHERE room_id = $1', [roomId]);
    return Number(row.n);
  }

  async ensureRoomAndUser(roomId: string, userId: string): Promise<void> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    await this.run(ENSURE_ROOM_AND_USER_SQL, [roomId, userId]);
  }

  async ensureUser(userId: string): Promise<void> {
    this.open();
    checkId('userId', userId);
    await this.run(ENSURE_USER_SQL, [userId]);
  }

  async ensureRoom(roomId: string): Promise<void> {
    this.open();
    checkId('roomId', roomId);
    await this.run(ENSURE_ROOM_SQL, [roomId]);
  }

  async roomExists(roomId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    return (await this.rows('SELECT 1 FROM rooms WHERE id = $1', [roomId])).length > 0;
  }

  async addMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    return (await this.run(ADD_MEMBER_SQL, [roomId, userId])) > 0;
  }

  async addMembers(pairs: readonly MemberPair[]): Promise<number> {
    this.open();
    for (const p of pairs) {
      checkId('roomId', p.roomId);
      checkId('userId', p.userId);
    }
    let added = 0;
    for (let i = 0; i < pairs.length; i += INSERT_CHUNK_ROWS) {
      added += await this.run(ADD_MEMBERS_SQL, memberParams(pairs.slice(i, i + INSERT_CHUNK_ROWS)));
    }
    return added;
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    return (await this.run('DELETE FROM memberships WHERE room_id = $1 AND user_id = $2', [roomId, userId])) > 0;
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    checkId('userId', userId);
    return (await this.rows('SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2', [roomId, userId])).length > 0;
  }

  async listMembers(roomId: string, limit: number = MAX_QUERY_LIMIT, afterUserId?: string): Promise<Member[]> {
    this.open();
    checkId('roomId', roomId);
    if (afterUserId !== undefined) checkId('afterUserId', afterUserId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    // Keyset on the primary key (room_id, user_id): each page is an index range scan, however deep.
    const cols = 'SELECT user_id AS "userId", joined_at AS "joinedAt" FROM memberships';
    return afterUserId === undefined
      ? this.rows<Member>(`${cols} WHERE room_id = $1 ORDER BY user_id LIMIT $2`, [roomId, take])
      : this.rows<Member>(`${cols} WHERE room_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`, [roomId, afterUserId, take]);
  }

  async createRoom(roomId: string, name: string, ownerId: string): Promise<Room | null> {
    this.open();
    checkId('roomId', roomId);
    checkId('name', name, MAX_ROOM_NAME);
    checkId('ownerId', ownerId);
    const [room] = await this.rows<Room>(CREATE_ROOM_SQL, [roomId, name, ownerId]);
    return room ?? null;
  }

  async getRoom(roomId: string): Promise<Room | null> {
    this.open();
    checkId('roomId', roomId);
    const [room] = await this.rows<Room>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1`, [roomId]);
    return room ?? null;
  }

  async listRoomsOf(userId: string, limit: number, afterRoomId?: string): Promise<Room[]> {
    this.open();
    checkId('userId', userId);
    if (afterRoomId !== undefined) checkId('afterRoomId', afterRoomId);
    const take = checkLimit(limit);
    if (take === 0) return [];
    const cols = 'SELECT r.id, r.name, r.owner_id AS "ownerId", r.created_at AS "createdAt" FROM memberships m JOIN rooms r ON r.id = m.room_id';
    return afterRoomId === undefined
      ? this.rows<Room>(`${cols} WHERE m.user_id = $1 ORDER BY m.room_id LIMIT $2`, [userId, take])
      : this.rows<Room>(`${cols} WHERE m.user_id = $1 AND m.room_id > $2 ORDER BY m.room_id LIMIT $3`, [userId, afterRoomId, take]);
  }

  async deleteRoom(roomId: string): Promise<boolean> {
    this.open();
    checkId('roomId', roomId);
    // Memberships go with it (ON DELETE CASCADE); messages stay (no foreign key, see RoomDirectory).
    return (await this.run('DELETE FROM rooms WHERE id = $1', [roomId])) > 0;
  }

  async upsertDeviceToken(userId: string, token: string, platform: DevicePlatform): Promise<void> {
    this.open();
    checkId('userId', userId);
    checkId('token', token, 4096);
    checkPlatform(platform);
    await this.run(UPSERT_TOKEN_SQL, [userId, token, platform, new Date()]);
  }

  async listDeviceTokens(userIds: string[]): Promise<DeviceToken[]> {
    this.open();
    if (userIds.length === 0) return [];
    userIds.forEach((u) => checkId('userId', u));
    return this.rows<DeviceToken>(
      'SELECT user_id AS "userId", token, platform, last_seen_at AS "lastSeenAt" FROM device_tokens WHERE user_id = ANY($1::text[]) ORDER BY user_id, token',
      [[...new Set(userIds)]],
    );
  }

  async deleteDeviceTokens(tokens: string[]): Promise<number> {
    this.open();
    if (tokens.length === 0) return 0;
    return this.run('DELETE FROM device_tokens WHERE token = ANY($1::text[])', [[...new Set(tokens)]]);
  }

  async deleteDeviceTokenOf(userId: string, token: string): Promise<boolean> {
    this.open();
    checkId('userId', userId);
    checkId('token', token, 4096);
    return (await this.run('DELETE FROM device_tokens WHERE token = $1 AND user_id = $2', [token, userId])) > 0;
  }

  async pruneDeviceTokens(notSeenSince: Date, limit: number = PRUNE_CHUNK_TOKENS): Promise<number> {
    this.open();
    if (!(notSeenSince instanceof Date) || Number.isNaN(notSeenSince.getTime())) throw new InvalidArgumentError('notSeenSince must be a valid Date');
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer, got ${String(limit)}`);
    return this.run(PRUNE_TOKENS_SQL, [notSeenSince, limit]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  private open(): void {
    if (this.closed) throw new StoreUnavailableError(`${this.kind} store is closed`);
  }

  private async rows<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  /** A statement's affected rows. */
  private async run(sql: string, params?: unknown[]): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  /** Connection trouble becomes StoreUnavailableError, bad input stays as is (as PrismaMessageStore). */
  private async query(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, params);
    } catch (err) {
      const info = describeDbError(err);
      if (info.isDataError) throw new Error(`${this.kind}: ${info.message}`, { cause: err });
      throw new StoreUnavailableError(`${this.kind}: ${info.message}`, { cause: err });
    }
  }
}
