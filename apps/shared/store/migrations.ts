/**
 * Offline migration runner. Prisma 7's CLI downloads its native schema engine before doing
 * anything and so fails without internet (apps/README.md, library behaviour). This
 * applies the committed `prisma/migrations/<name>/migration.sql` folders itself and records each
 * one in `_prisma_migrations` exactly as the CLI does (same table, sha256 hex checksum of the
 * file, started/finished times, applied_steps_count = 1), so `prisma migrate deploy` and
 * `prisma migrate status` keep working on the same database for users who have internet.
 *
 * Differences from the CLI, on purpose: each migration runs inside a transaction together with
 * its bookkeeping row, and a migration that fails is rolled back and marked `rolled_back_at`
 * (the CLI would leave it "failed" and require `prisma migrate resolve`): nothing half-applied
 * can remain, so simply running again after fixing the cause is safe.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../project-root';

/** Minimal SQL access that both `pg` and PGlite provide. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run a script of several statements (simple-query protocol, no parameters). */
  exec(sql: string): Promise<void>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The folder with the committed migrations (repo root `prisma/migrations`). */
export const DEFAULT_MIGRATIONS_DIR = projectPath('prisma/migrations');

/** Prisma's advisory lock key for migrations, so we never run concurrently with the CLI either. */
const PRISMA_ADVISORY_LOCK = 72707369;

/** DDL of the bookkeeping table as the Prisma schema engine creates it (checked against it). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** sha256 hex of the script, as Prisma stores it. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Migration folders in name (= timestamp) order. */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory() && existsSync(join(dir, d, 'migration.sql')))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    });
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  /** Applied migrations whose file changed since (the CLI warns about these too). */
  checksumMismatch: string[];
}

type Log = (msg: string) => void;

/**
 * Apply every migration not yet recorded as finished. Idempotent; safe to run from several
 * processes at once (they serialise on Prisma's advisory lock).
 */
export async function applyMigrations(db: SqlRunner, migrations: Migration[] = readMigrations(), log: Log = () => {}): Promise<MigrateResult> {
  const result: MigrateResult = { applied: [], alreadyApplied: [], checksumMismatch: [] };
  await db.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
  try {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await db.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    for (const row of rows) {
      if (row.finished_at == null && row.rolled_back_at == null) {
        throw new Error(
          `migration ${row.migration_name} is recorded as started but never finished (a failed \`prisma migrate deploy\`?): ` +
            'inspect the database, then mark it with `prisma migrate resolve` or delete its row from _prisma_migrations',
        );
      }
    }
    for (const m of migrations) {
      const done = rows.find((r) => r.migration_name === m.name && r.finished_at != null && r.rolled_back_at == null);
      if (done) {
        result.alreadyApplied.push(m.name);
        // The engine also accepts the file with other line endings (CRLF checkouts).
        if (done.checksum !== m.checksum && done.checksum !== migrationChecksum(m.sql.replace(/\r\n/g, '\n')) && done.checksum !== migrationChecksum(m.sql.replace(/\r?\n/g, '\r\n'))) {
          result.checksumMismatch.push(m.name);
          log(`warning: migration ${m.name} was modified after it was applied`);
        }
        continue;
      }
      await applyOne(db, m);
      result.applied.push(m.name);
      log(`applied migration ${m.name}`);
    }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]);
  }
  return result;
}

async function applyOne(db: SqlRunner, m: Migration): Promise<void> {
  const id = randomUUID();
  await db.exec('BEGIN');
  try {
    await db.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, m.checksum, m.name],
    );
    await db.exec(m.sql);
    await db.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
    await db.exec('COMMIT');
  } catch (err) {
    await db.exec('ROLLBACK').catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    // Record the attempt as rolled back (the transaction undid it), so a later run retries it.
    await db
      .query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, rolled_back_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), now(), 0)',
        [id, m.checksum, m.name, reason],
      )
      .catch(() => {});
    throw new Error(`migration ${m.name} failed and was rolled back: ${reason}`, { cause: err });
  }
}
