/**
 * `npm run db:diff -- <name>`: after editing prisma/schema.prisma, write the SQL that brings
 * the committed migrations up to it as prisma/migrations/<UTC timestamp>_<name>/migration.sql,
 * offline (apps/shared/store/schema-diff.ts). Without a name it only prints the SQL. Review the
 * file; hand edits (like COLLATE "C" on messages.id in the init migration) are fine, the drift
 * test (schema-drift.test.ts) checks that migrations and schema still agree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diffMigrationsToSchema } from '../apps/shared/store/schema-diff';

const root = resolve(import.meta.dirname ?? '.', '..');

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name !== undefined && !/^[a-z0-9_]{1,60}$/.test(name)) throw new Error('migration name: lower-case letters, digits and _ only');
  const sql = await diffMigrationsToSchema(join(root, 'prisma/migrations'), join(root, 'prisma/schema.prisma'));
  if (!sql) {
    console.log('schema and migrations agree: nothing to do');
    return;
  }
  if (!name) {
    process.stdout.write(sql);
    return;
  }
  const ts = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const dir = join(root, 'prisma/migrations', `${ts}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), sql);
  console.log(`wrote ${dir}/migration.sql`);
}

main().catch((err) => {
  console.error(`db:diff failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
