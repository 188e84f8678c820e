/**
 * prisma/schema.prisma and prisma/migrations must describe the same database: a schema edit
 * without a migration (or the reverse) fails here. Computed offline (schema-diff.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffMigrationsToSchema } from './schema-diff';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('schema drift', () => {
  it('the committed migrations produce exactly prisma/schema.prisma', async () => {
    expect(await diffMigrationsToSchema(join(root, 'prisma/migrations'), join(root, 'prisma/schema.prisma'))).toBe('');
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
