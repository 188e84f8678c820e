/** Store on a real PostgreSQL (DATABASE_URL) through Prisma 7 + @prisma/adapter-pg. */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { migratePostgres } from './pg-migrate';
import { PrismaMessageStore } from './prisma-store';
import { INSERT_CHUNK_ROWS } from './message-store';
import { pgBackend, prismaBackend, type CopyOptions } from './insert-backends';
import { RowInserter, type InsertPath } from './row-inserter';
import type { Store } from './store';

export { maskUrl, migratePostgres } from './pg-migrate';

export interface PostgresStoreOptions {
  url: string;
  /** Apply pending migrations first (idempotent, serialised by an advisory lock). Default true. */
  migrate?: boolean;
  /** Pool size (default 10). */
  poolMax?: number;
  /** How insertBatch writes (row-inserter.ts); default copy. */
  insertPath?: InsertPath;
  /** Rows per insert statement; default INSERT_CHUNK_ROWS. */
  insertChunkRows?: number;
  /** How the copy path COPies (insert-backends.ts); default DEFAULT_COPY. */
  copy?: CopyOptions;
  log?: (msg: string) => void;
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  if (opts.migrate ?? true) await migratePostgres(opts.url, opts.log);
  // One pool for Prisma and for the inserter's own statements (COPY needs a pg client).
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax ?? 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined); // an idle client's connection dropped: the next checkout reconnects
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const path = opts.insertPath ?? 'copy';
  const chunk = opts.insertChunkRows ?? INSERT_CHUNK_ROWS;
  const inserter = new RowInserter(path === 'prisma' ? prismaBackend(prisma) : pgBackend(pool, opts.copy), path, chunk);
  return new PrismaMessageStore('postgres', prisma, () => pool.end().catch(() => undefined), inserter);
}
