/** Migrations on a real PostgreSQL over one `pg` connection (both Postgres stores, db:migrate). */
import pg from 'pg';
import { StoreUnavailableError } from './message-store';
import { applyMigrations, readMigrations, type MigrateResult } from './migrations';
import { pgRunner } from './sql-runners';

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

export function maskUrl(u: string): string {
  return u.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
