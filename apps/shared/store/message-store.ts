/**
 * Stored chat messages: what the consumer's batch writer, history and the REST history pages
 * need from the database. Rows in and out are `OutboundMessage`; lists are always oldest
 * first (ascending message id, which sorts by time).
 */
import type { OutboundMessage } from '../message';
import type { PackedRows } from './packed-rows';

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

/** Hard upper bound for any list query; callers' limits are clamped to it. */
export const MAX_QUERY_LIMIT = 1_000;
/** Rows per INSERT statement inside `insertBatch` (larger batches are split). */
export const INSERT_CHUNK_ROWS = 1_000;

export interface MessageStore {
  /**
   * Store messages, idempotent on `id` (one multi-row INSERT ... ON CONFLICT (id) DO NOTHING per
   * chunk of up to INSERT_CHUNK_ROWS). Messages with `roomId === null` are not room messages and
   * come back in `rejected`. When the database refuses a chunk for its content, the chunk is
   * bisected so only the offending rows are rejected and every other row is still written.
   * Throws StoreUnavailableError when the database is unreachable.
   * Takes PackedRows (rows still inside their packs) when `packedRows` is true.
   */
  insertBatch(msgs: OutboundMessage[] | PackedRows): Promise<InsertResult>;
  /** True when insertBatch also takes PackedRows, so the writer need not build messages. */
  readonly packedRows?: boolean;

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
}
