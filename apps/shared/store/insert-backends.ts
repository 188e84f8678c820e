/**
 * InsertBackend (row-inserter.ts) over each driver: `pg` directly (COPY through
 * pg-copy-streams, or unnest with pg's array parameters), PGlite directly (COPY from a blob:
 * PGlite reads `FROM '/dev/blob'` out of the query's `blob` option), and Prisma's raw-SQL
 * path. Prisma stays the client for everything else (schema, migrations, queries).
 *
 * COPY has no ON CONFLICT. So a chunk is first COPied straight into `messages`: one statement,
 * its own transaction, all rows or none (PostgreSQL docs, COPY: "COPY stops operation at the
 * first error"), and the cheapest way in (no second pass over the rows). Only when that fails
 * with a unique violation (23505: some id is already stored, a redelivered pack) is the same
 * data COPied into a temporary staging table (no WAL, session-local buffers, emptied at every
 * commit: ON COMMIT DELETE ROWS) and moved on with INSERT ... SELECT ... ON CONFLICT DO NOTHING
 * in one transaction. Either way the chunk is stored once, idempotent on the id.
 * `direct: false` always takes the staging route (measured against each other by bench:store).
 */
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import type { PGlite } from '@electric-sql/pglite';
import type { PrismaClient } from './generated/prisma/client';
import { COPY_COLUMNS, copyText } from './copy-text';
import { copyBinary } from './copy-binary';
import type { PackedRows } from './packed-rows';
import type { InsertBackend } from './row-inserter';

export type CopyFormat = 'text' | 'binary';

export interface CopyOptions {
  /** COPY data format (PostgreSQL docs, COPY "File Formats"). */
  format: CopyFormat;
  /** COPY into `messages` first, staging only after a unique violation; false: always staging. */
  direct: boolean;
}

export const DEFAULT_COPY: CopyOptions = { format: 'binary', direct: true };

const STAGE = 'stompbox_stage';
const UNIQUE_VIOLATION = '23505';

/** The staging table: the COPY columns of `messages` with their types, so both take the same data. */
export const STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (
  id text, room_id text, destination text, sender_id text, node_id text, body text,
  body_bytes bytea, content_type text, headers jsonb, created_at timestamptz
) ON COMMIT DELETE ROWS`;

export const MOVE_SQL = `INSERT INTO "messages" (${COPY_COLUMNS})
SELECT ${COPY_COLUMNS} FROM ${STAGE}
ON CONFLICT ("id") DO NOTHING`;

function copySql(table: string, source: string, format: CopyFormat): string {
  return `COPY ${table} (${COPY_COLUMNS}) FROM ${source}${format === 'binary' ? ' WITH (FORMAT binary)' : ''}`;
}

function encode(rows: PackedRows, format: CopyFormat): Buffer {
  return format === 'binary' ? copyBinary(rows) : copyText(rows);
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === UNIQUE_VIOLATION;
}

/** An error the server raised (it has a SQLSTATE): the connection itself is still fine. */
function fromServer(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** COPY `data` with `sql`; the rows the server took (its "COPY n" command tag). */
function copyInto(client: pg.PoolClient, sql: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = client.query(pgCopy.from(sql));
    stream.on('error', reject);
    stream.on('finish', () => resolve(stream.rowCount));
    stream.end(data);
  });
}

export function pgBackend(pool: pg.Pool, opts: CopyOptions = DEFAULT_COPY): InsertBackend {
  const staged = new WeakSet<pg.PoolClient>();
  const direct = copySql('"messages"', 'STDIN', opts.format);
  const stage = copySql(STAGE, 'STDIN', opts.format);

  async function viaStage(client: pg.PoolClient, data: Buffer, broke: (e: Error) => void): Promise<number> {
    if (!staged.has(client)) {
      await client.query(STAGE_SQL);
      staged.add(client);
    }
    await client.query('BEGIN');
    try {
      await copyInto(client, stage, data);
      const moved = await client.query(MOVE_SQL);
      await client.query('COMMIT');
      return moved.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(broke);
      throw err;
    }
  }

  return {
    paths: ['copy', 'unnest'],
    unnest: async (sql, params) => (await pool.query(sql, params)).rowCount ?? 0,
    copy: async (rows) => {
      const data = encode(rows, opts.format);
      const client = await pool.connect();
      let broken: Error | undefined;
      const broke = (err: Error) => {
        broken ??= err;
      };
      // A checked-out client has no pool listener: a socket error between statements would be
      // emitted with none and crash the process (node-postgres docs, pg.Pool "error").
      client.on('error', broke);
      try {
        if (opts.direct) {
          try {
            // Outside BEGIN: the COPY is its own transaction, so a failed one left nothing behind.
            return await copyInto(client, direct, data);
          } catch (err) {
            if (!isUniqueViolation(err)) throw err;
          }
        }
        return await viaStage(client, data, broke);
      } catch (err) {
        // A connection that failed other than by a server error is not given back to the pool.
        if (!fromServer(err)) broke(err as Error);
        throw err;
      } finally {
        client.off('error', broke);
        client.release(broken);
      }
    },
  };
}

export function pgliteBackend(db: PGlite, opts: CopyOptions = DEFAULT_COPY): InsertBackend {
  let staged = false;
  const direct = copySql('"messages"', `'/dev/blob'`, opts.format);
  const stage = copySql(STAGE, `'/dev/blob'`, opts.format);
  return {
    paths: ['copy', 'unnest'],
    unnest: async (sql, params) => (await db.query(sql, params)).affectedRows ?? 0,
    copy: async (rows) => {
      const blob = new Blob([encode(rows, opts.format)]);
      if (opts.direct) {
        try {
          // One PGlite connection, and this statement is its own transaction.
          return (await db.query(direct, [], { blob })).affectedRows ?? 0;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
        }
      }
      if (!staged) {
        await db.exec(STAGE_SQL);
        staged = true;
      }
      // transaction() holds the one connection exclusively, so no other query interleaves.
      return db.transaction(async (tx) => {
        await tx.query(stage, [], { blob });
        return (await tx.query(MOVE_SQL)).affectedRows ?? 0;
      });
    },
  };
}

export function prismaBackend(prisma: PrismaClient): InsertBackend {
  return {
    paths: ['prisma'],
    unnest: (sql, params) => prisma.$executeRawUnsafe(sql, ...params),
  };
}
