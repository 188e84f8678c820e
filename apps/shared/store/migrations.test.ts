/**
 * The offline migration runner against a real Postgres: writes `_prisma_migrations` as the
 * Prisma CLI does (checksum = sha256 of the file, finished, 1 step), is idempotent, rolls a
 * failing migration back completely and lets a fixed one apply on the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type ServiceHandle } from '../testing/services';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, readMigrations } from './migrations';
import { pgRunner } from './sql-runners';

let svc: ServiceHandle;
const tmp = mkdtempSync(join(tmpdir(), 'stompbox-mig-test-'));

beforeAll(async () => {
  svc = await startPostgres({ database: 'postgres_mig' });
});
afterAll(async () => {
  await svc?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function withDb<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: svc.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`).catch(() => {});
  await admin.end();
  const c = new pg.Client({ connectionString: svc.url.replace(/\/[^/]+$/, `/${db}`) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('applyMigrations', () => {
  it('applies the committed migrations once and records them like the Prisma CLI', async () => {
    await withDb('m1', async (c) => {
      const first = await applyMigrations(pgRunner(c));
      const names = readMigrations().map((m) => m.name);
      expect(first.applied).toEqual(names);
      const again = await applyMigrations(pgRunner(c));
      expect(again).toEqual({ applied: [], alreadyApplied: names, checksumMismatch: [] });
      const rows = (await c.query('SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations')).rows;
      expect(rows).toHaveLength(names.length);
      const sql = readFileSync(join(DEFAULT_MIGRATIONS_DIR, names[0], 'migration.sql'));
      expect(rows[0]).toMatchObject({
        migration_name: names[0],
        checksum: createHash('sha256').update(sql).digest('hex'),
        rolled_back_at: null,
        applied_steps_count: 1,
      });
      expect(rows[0].finished_at).toBeInstanceOf(Date);
      const tables = (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename);
      expect(tables).toEqual(['_prisma_migrations', 'device_tokens', 'memberships', 'messages', 'rooms', 'users']);
    });
  });

  it('rolls a failing migration back entirely, then applies it once fixed', async () => {
    const dir = join(tmp, 'migs');
    mkdirSync(join(dir, '001_a'), { recursive: true });
    mkdirSync(join(dir, '002_b'), { recursive: true });
    writeFileSync(join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (x int);');
    writeFileSync(join(dir, '002_b', 'migration.sql'), 'CREATE TABLE b (x int);\nINSERT INTO nope VALUES (1);');
    await withDb('m2', async (c) => {
      await expect(applyMigrations(pgRunner(c), readMigrations(dir))).rejects.toThrow(/002_b failed and was rolled back: .*nope/);
      const tables = async () => (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename);
      expect(await tables()).toEqual(['_prisma_migrations', 'a']); // no half-applied table b
      writeFileSync(join(dir, '002_b', 'migration.sql'), 'CREATE TABLE b (x int);');
      const r = await applyMigrations(pgRunner(c), readMigrations(dir));
      expect(r.applied).toEqual(['002_b']);
      expect(await tables()).toEqual(['_prisma_migrations', 'a', 'b']);
      // A modified, already applied file is reported, not re-run.
      writeFileSync(join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (x int, y int);');
      expect((await applyMigrations(pgRunner(c), readMigrations(dir))).checksumMismatch).toEqual(['001_a']);
    });
  });

  it('refuses to continue past a migration another tool left unfinished', async () => {
    await withDb('m3', async (c) => {
      await applyMigrations(pgRunner(c));
      await c.query(`INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ('x', 'y', 'broken')`);
      await expect(applyMigrations(pgRunner(c))).rejects.toThrow(/broken is recorded as started but never finished/);
    });
  });
});
