/**
 * insertBatch's algorithm, whatever the driver: drop what cannot be a row (not a room
 * message, empty id) into `rejected`, drop repeated ids of the batch, then insert chunks of at
 * most `chunkRows` rows idempotently (ON CONFLICT (id) DO NOTHING). A chunk the database
 * refuses for its content (SQLSTATE class 22/23/54, db-errors.ts) is bisected so only the
 * offending rows are rejected, each with the database's reason; any other failure is an
 * outage (StoreUnavailableError) and nothing of the batch may be assumed written.
 *
 * Paths (InsertPath), measured against each other by `npm run bench:store`:
 * - copy:   COPY (binary or text format: copy-binary.ts, copy-text.ts) straight into
 *           `messages`; a chunk holding an id already stored goes through a staging table and
 *           INSERT ... SELECT ... ON CONFLICT DO NOTHING instead (insert-backends.ts);
 * - unnest: one INSERT ... SELECT FROM unnest($1::text[], ...) with the driver's own array
 *           parameters;
 * - prisma: the same unnest statement through Prisma's raw-SQL path.
 */
import type { OutboundMessage } from '../message';
import { describeDbError } from './db-errors';
import { INSERT_SQL, insertParams, rowsToColumns } from './message-rows';
import { StoreUnavailableError, type InsertResult, type RejectedRow } from './message-store';
import { PackedRows } from './packed-rows';

export const INSERT_PATHS = ['copy', 'unnest', 'prisma'] as const;
export type InsertPath = (typeof INSERT_PATHS)[number];

/** What a driver must offer the inserter; each returns the number of rows newly inserted. */
export interface InsertBackend {
  readonly paths: readonly InsertPath[];
  /** One INSERT ... FROM unnest(...) statement with array parameters. */
  unnest(sql: string, params: unknown[]): Promise<number>;
  /** COPY the rows in, idempotently on the id (copy path only). */
  copy?(rows: PackedRows): Promise<number>;
}

export class RowInserter {
  constructor(
    private readonly backend: InsertBackend,
    readonly path: InsertPath,
    private readonly chunkRows: number,
  ) {
    if (!backend.paths.includes(path)) throw new Error(`insert path ${path} is not available here (${backend.paths.join(', ')})`);
  }

  async insert(batch: readonly OutboundMessage[] | PackedRows): Promise<InsertResult> {
    const all = batch instanceof PackedRows ? batch : PackedRows.fromMessages(batch);
    const rejected: RejectedRow[] = [];
    const rows = new PackedRows();
    const seen = new Set<string>();
    for (let r = 0; r < all.length; r++) {
      const id = all.ids[r];
      if (!all.isRoomMessage(r)) {
        rejected.push({ id, reason: `not a room message (destination ${all.message(r).destination})` });
      } else if (id === '') {
        rejected.push({ id, reason: 'empty message id' });
      } else if (!seen.has(id)) {
        seen.add(id);
        rows.addRow(all, r);
      }
    }
    let inserted = 0;
    for (let i = 0; i < rows.length; i += this.chunkRows) {
      inserted += await this.chunk(rows.slice(i, i + this.chunkRows), rejected);
    }
    return { inserted, rejected };
  }

  /** One chunk in one statement (or transaction); on a data error bisect. */
  private async chunk(rows: PackedRows, rejected: RejectedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      if (this.path === 'copy') return await this.backend.copy!(rows);
      return await this.backend.unnest(INSERT_SQL, insertParams(rowsToColumns(rows)));
    } catch (err) {
      const info = describeDbError(err);
      if (!info.isDataError) throw new StoreUnavailableError(`insert failed: ${info.message}`, { cause: err });
      if (rows.length === 1) {
        rejected.push({ id: rows.ids[0], reason: info.message, code: info.sqlState });
        return 0;
      }
      const mid = rows.length >> 1;
      return (await this.chunk(rows.slice(0, mid), rejected)) + (await this.chunk(rows.slice(mid), rejected));
    }
  }
}
