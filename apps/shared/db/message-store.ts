/**
 * The persistence seam (issue 4 item 1, DESIGN.md "Processes"): everything the broker, the
 * consumer's batch writer and the HTTP history API need from the database, behind one small
 * interface. Two implementations run the same tests (`message-store.contract.ts`):
 * - Postgres through Prisma 7 + @prisma/adapter-pg (`postgres-store.ts`, DATABASE_URL set);
 * - embedded PGlite through pglite-prisma-adapter, in a worker thread so the broker's event
 *   loop stays free (`pglite-store.ts`, files under DATA_DIR).
 *
 * Rows in and out are `OutboundMessage` (apps/shared/offload/offload.ts). Lists are always
 * oldest first (ascending message id, which sorts by time: apps/shared/message-id.ts).
 */
import type { OutboundMessage } from '../offload/offload';

/** One row the database refused (a "poison" message): the pipeline dead-letters it with `reason`. */
export interface RejectedRow {
  id: string;
  /** The database's own error text (e.g. `invalid byte sequence for encoding "UTF8": 0x00`). */
  reason: string;
  /** SQLSTATE when the database gave one (class 22 = bad data, 23 = constraint). */
  code?: string;
}

export interface InsertResult {
  /** Rows newly written. Duplicates of ids already stored are skipped (idempotent on the id) and not counted. */
  inserted: number;
  /** Rows the database rejected for their content; the rest of the batch was still written. */
  rejected: RejectedRow[];
}

/**
 * Thrown when the database cannot be reached or fails for a reason that is not the data
 * (connection refused, shutdown, timeout). Nothing of the batch may be assumed written;
 * retrying the same batch later is safe (inserts skip existing ids).
 */
export class StoreUnavailableError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'StoreUnavailableError';
  }
}

export type DevicePlatform = 'android' | 'ios' | 'web';

export interface DeviceToken {
  userId: string;
  token: string;
  platform: DevicePlatform;
  lastSeenAt: Date;
}

export interface Member {
  userId: string;
  joinedAt: Date;
}

/** Hard upper bound for any list query; callers' limits are clamped to it. */
export const MAX_QUERY_LIMIT = 1_000;
/** Rows per INSERT statement inside `insertBatch` (larger batches are split). */
export const INSERT_CHUNK_ROWS = 1_000;

export interface MessageStore {
  /** "postgres" or "pglite", for logs and metrics. */
  readonly kind: string;

  /**
   * Store messages, idempotent on `id` (one multi-row INSERT ... ON CONFLICT (id) DO NOTHING per
   * chunk of up to INSERT_CHUNK_ROWS). Messages with `roomId === null` are not room messages and
   * come back in `rejected`. When the database refuses a chunk for its content, the chunk is
   * bisected so only the offending rows are rejected and every other row is still written.
   * Throws StoreUnavailableError when the database is unreachable.
   */
  insertBatch(msgs: OutboundMessage[]): Promise<InsertResult>;

  /** The newest `limit` messages of a room, oldest first. */
  lastMessages(roomId: string, limit: number): Promise<OutboundMessage[]>;
  /** Messages with id > afterId (exclusive), oldest first, at most `limit` (reconnect recovery). */
  messagesAfter(roomId: string, afterId: string, limit: number): Promise<OutboundMessage[]>;
  /**
   * The newest `limit` messages with id < beforeId (exclusive; null = from the newest), oldest
   * first: the HTTP page-through (next page: before = first id of this page).
   */
  messagesBefore(roomId: string, beforeId: string | null, limit: number): Promise<OutboundMessage[]>;
  /** Number of stored messages of a room (or of all rooms): for tests, health and benchmarks. */
  countMessages(roomId?: string): Promise<number>;

  /** Create the room and the user if missing (development mode, issue 4 item 5). Idempotent. */
  ensureRoomAndUser(roomId: string, userId: string): Promise<void>;
  ensureUser(userId: string): Promise<void>;
  ensureRoom(roomId: string): Promise<void>;
  roomExists(roomId: string): Promise<boolean>;
  /** Add a member (room and user created if missing). Returns false when already a member. */
  addMember(roomId: string, userId: string): Promise<boolean>;
  /** Returns false when the user was not a member. */
  removeMember(roomId: string, userId: string): Promise<boolean>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /** Members ordered by userId, at most `limit` (default MAX_QUERY_LIMIT). */
  listMembers(roomId: string, limit?: number): Promise<Member[]>;

  /** Register or refresh a push token (user created if missing; a token moves to its latest user). */
  upsertDeviceToken(userId: string, token: string, platform: DevicePlatform): Promise<void>;
  /** Tokens of these users (for FCM pushes to offline members). */
  listDeviceTokens(userIds: string[]): Promise<DeviceToken[]>;
  /** Delete tokens (FCM said unregistered). Returns how many existed. */
  deleteDeviceTokens(tokens: string[]): Promise<number>;

  /** Release connections / stop the worker. Further calls reject. */
  close(): Promise<void>;
}
