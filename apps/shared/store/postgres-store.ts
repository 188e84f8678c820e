/** Store on a real PostgreSQL (DATABASE_URL) through Prisma 7 + @prisma/adapter-pg. */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, readMigrations, type MigrateResult } from './migrations';
import { pgRunner } from './sql-runners';
import { PrismaMessageStore } from './prisma-store';
import { StoreUnavailableError } from './message-store';
import type { Store } from './store';

export interface PostgresStoreOptions {
  url: string;
  /** Apply pending migrations first (idempotent, serialised by an advisory lock). Default true. */
  migrate?: boolean;
  /** Pool size (default 10). */
  poolMax?: number;
  log?: (msg: string) => void;
}

/** Apply the committed migrations to the database at `url` over one connection. */
export async function migratePostgres(url: string, log?: (msg: string) => void): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new StoreUnavailableError(`cannot connect to ${maskUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await applyMigrations(pgRunner(client), readMigrations(), log);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  if (opts.migrate ?? true) await migratePostgres(opts.url, opts.log);
  const adapter = new PrismaPg({ connectionString: opts.url, max: opts.poolMax ?? 10, connectionTimeoutMillis: 10_000 });
  const prisma = new PrismaClient({ adapter });
  return new PrismaMessageStore('postgres', prisma);
}

export function maskUrl(u: string): string {
  return u.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
