/**
 * InsertBackend (row-inserter.ts) over each driver: `pg` directly (COPY through
 * pg-copy-streams, or unnest with pg's array parameters), PGlite directly (COPY from a blob:
 * PGlite reads `FROM '/dev/blob'` out of the query's `blob` option), and Prisma's raw-SQL
 * path. Prisma stays the client for everything else (schema, migrations, queries).
 *
 * The COPY target is a temporary table (no WAL, session-local buffers), created once per
 * connection and emptied at every commit (ON COMMIT DELETE ROWS); COPY has no ON CONFLICT,
 * so the rows move on to `messages` with one INSERT ... SELECT ... ON CONFLICT DO NOTHING in
 * the same transaction.
 */
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import type { PGlite } from '@electric-sql/pglite';
import type { PrismaClient } from './generated/prisma/client';
import { STAGE_COLUMNS } from './copy-text';
import type { InsertBackend } from './row-inserter';

const STAGE = 'stompbox_stage';

export const STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (
  id text, room_id text, destination text, sender_id text, node_id text, body text,
  body_bytes bytea, content_type text, headers text, created_ms float8
) ON COMMIT DELETE ROWS`;

export const MOVE_SQL = `INSERT INTO "messages" ("id", "room_id", "destination", "sender_id", "node_id", "body", "body_bytes", "content_type", "headers", "created_at")
SELECT id, room_id, destination, sender_id, node_id, body, body_bytes, content_type, headers::jsonb, to_timestamp(created_ms / 1000)
FROM ${STAGE}
ON CONFLICT ("id") DO NOTHING`;

const COPY_SQL = `COPY ${STAGE} (${STAGE_COLUMNS}) FROM STDIN`;

/** An error the server raised (it has a SQLSTATE): the connection itself is still fine. */
function fromServer(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function copyInto(client: pg.PoolClient, text: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(pgCopy.from(COPY_SQL));
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(text);
  });
}

export function pgBackend(pool: pg.Pool): InsertBackend {
  const staged = new WeakSet<pg.PoolClient>();
  return {
    paths: ['copy', 'unnest'],
    unnest: async (sql, params) => (await pool.query(sql, params)).rowCount ?? 0,
    copy: async (text) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no pool listener: a socket error between statements would be
      // emitted with none and crash the process (node-postgres docs, pg.Pool "error").
      const onError = (err: Error) => {
        broken ??= err;
      };
      client.on('error', onError);
      try {
        if (!staged.has(client)) {
          await client.query(STAGE_SQL);
          staged.add(client);
        }
        await client.query('BEGIN');
        try {
          await copyInto(client, text);
          const moved = await client.query(MOVE_SQL);
          await client.query('COMMIT');
          return moved.rowCount ?? 0;
        } catch (err) {
          await client.query('ROLLBACK').catch((e: Error) => {
            broken = e;
          });
          throw err;
        }
      } catch (err) {
        // A connection that failed other than by a server error is not given back to the pool.
        if (!fromServer(err)) broken ??= err as Error;
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}

export function pgliteBackend(db: PGlite): InsertBackend {
  let staged = false;
  return {
    paths: ['copy', 'unnest'],
    unnest: async (sql, params) => (await db.query(sql, params)).affectedRows ?? 0,
    copy: async (text) => {
      if (!staged) {
        await db.exec(STAGE_SQL);
        staged = true;
      }
      // One PGlite connection: transaction() holds it exclusively, so no other query interleaves.
      return db.transaction(async (tx) => {
        await tx.query(`COPY ${STAGE} (${STAGE_COLUMNS}) FROM '/dev/blob'`, [], { blob: new Blob([text]) });
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
