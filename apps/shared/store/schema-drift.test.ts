/**
 * prisma/schema.prisma and prisma/migrations must describe the same database: a schema edit
 * without a migration (or the reverse) fails here. Computed offline (schema-diff.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffMigrationsToSchema, freshPglite, prismaEngineDeploy } from './schema-diff';
import { applyMigrations, readMigrations } from './migrations';
import { pgliteRunner } from './sql-runners';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('schema drift', () => {
  it('the committed migrations produce exactly prisma/schema.prisma', async () => {
    expect(await diffMigrationsToSchema(join(root, 'prisma/migrations'), join(root, 'prisma/schema.prisma'))).toBe('');
  }, 120_000);

  it('a database migrated by db:migrate is up to date for Prisma\'s own engine (what `prisma migrate deploy` runs)', async () => {
    const db = await freshPglite();
    try {
      const migrations = join(root, 'prisma/migrations');
      expect((await applyMigrations(pgliteRunner(db), readMigrations(migrations))).applied.length).toBeGreaterThan(0);
      expect(await prismaEngineDeploy(db, migrations, join(root, 'prisma/schema.prisma'))).toEqual([]);
      // And the reverse: what the engine records, our runner accepts as applied.
      const fresh = await freshPglite();
      try {
        expect(await prismaEngineDeploy(fresh, migrations, join(root, 'prisma/schema.prisma'))).toEqual(readMigrations(migrations).map((m) => m.name));
        expect(await applyMigrations(pgliteRunner(fresh), readMigrations(migrations))).toMatchObject({ applied: [], checksumMismatch: [] });
      } finally {
        await fresh.close();
      }
    } finally {
      await db.close();
    }
  }, 120_000);

  it('notices a schema change that has no migration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stompbox-drift-'));
    try {
      cpSync(join(root, 'prisma/migrations'), join(dir, 'migrations'), { recursive: true });
      mkdirSync(join(dir, 'schema'));
      const schema = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8').replace('  platform   String\n', '  platform   String\n  appVersion String? @map("app_version")\n');
      writeFileSync(join(dir, 'schema', 'schema.prisma'), schema);
      expect(await diffMigrationsToSchema(join(dir, 'migrations'), join(dir, 'schema', 'schema.prisma'))).toMatch(/ALTER TABLE "device_tokens" ADD COLUMN\s+"app_version" TEXT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
