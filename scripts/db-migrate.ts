/**
 * `npm run db:migrate`: apply prisma/migrations offline (apps/shared/store/migrations.ts).
 *   DATABASE_URL set  -> the real Postgres it names;
 *   otherwise         -> the embedded PGlite under DATA_DIR/pglite (default .data/pglite).
 *   --embedded        -> the embedded one even when DATABASE_URL is set.
 * Records `_prisma_migrations` rows as the Prisma CLI does, so `npx prisma migrate deploy`
 * (which needs internet for its engine) sees the same state. Idempotent.
 */
import { loadConfig } from '../apps/shared/config';
import { migratePostgres, maskUrl } from '../apps/shared/store/postgres-store';
import { openPgliteStore, pgliteDataDir } from '../apps/shared/store/pglite-store';
import { readMigrations } from '../apps/shared/store/migrations';

async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = process.argv.includes('--embedded') || !config.DATABASE_URL;
  const all = readMigrations().map((m) => m.name);
  if (!embedded) {
    const r = await migratePostgres(config.DATABASE_URL!, (m) => console.log(m));
    console.log(`postgres ${maskUrl(config.DATABASE_URL!)}: applied ${r.applied.length}, already applied ${r.alreadyApplied.length} of ${all.length}`);
    if (r.checksumMismatch.length) console.warn(`warning: modified after being applied: ${r.checksumMismatch.join(', ')}`);
    return;
  }
  const dir = pgliteDataDir(config.DATA_DIR);
  const store = await openPgliteStore({ dataDir: dir });
  try {
    for (const name of store.appliedMigrations) console.log(`applied migration ${name}`);
    console.log(`embedded ${dir}: applied ${store.appliedMigrations.length}, already applied ${all.length - store.appliedMigrations.length} of ${all.length}`);
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
