/**
 * Offline migration authoring (Prisma 7's `migrate dev/diff` need the native schema engine,
 * which its CLI downloads before running any command, so they fail offline).
 * @prisma/schema-engine-wasm (pinned) computes the SQL
 * from the committed migrations to prisma/schema.prisma; PGlite in memory serves as the shadow
 * database it replays the migrations into. Used by `npm run db:diff` and the drift test.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const require = createRequire(import.meta.url);

/** "-- This is an empty migration." is what the engine prints when nothing differs. */
export const EMPTY_MIGRATION = /^\s*-- This is an empty migration\.\s*$/;

interface WasmEngine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  applyMigrations(params: unknown): Promise<{ appliedMigrationNames: string[] }>;
  free(): void;
}

interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

type EngineModule = { SchemaEngine: { new: (o: unknown, log: (s: string) => void, a: object) => Promise<WasmEngine> } };
let wasmModule: Promise<EngineModule> | null = null;

/** Instantiate the wasm once per process (its glue module keeps global state). */
function engineModule(): Promise<EngineModule> {
  wasmModule ??= (async () => {
    const pkgDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    // The package's entry imports the .wasm as an ES module, which Node 20 cannot; instantiate by hand.
    const bg = (await import(pathToFileURL(join(pkgDir, 'schema_engine_bg.js')).href)) as EngineModule & {
      __wbg_set_wasm(exports: Record<string, unknown>): void;
    };
    // tsconfig has no DOM lib, so WebAssembly is typed here by hand.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { instance } = await wasm.instantiate(readFileSync(join(pkgDir, 'schema_engine_bg.wasm')), { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  return wasmModule;
}

async function loadEngine(schema: string, adapter: object): Promise<WasmEngine> {
  const { SchemaEngine } = await engineModule();
  return SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
}

function migrationsList(dir: string) {
  const dirs = existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort() : [];
  const lock = join(dir, 'migration_lock.toml');
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lock) ? readFileSync(lock, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((d) => ({
      path: d,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: readFileSync(join(dir, d, 'migration.sql'), 'utf8') } },
    })),
  };
}

let emptyCluster: Promise<Blob> | null = null;

/**
 * An empty in-memory PGlite. Creating one runs initdb (~4 s here); every one after the first
 * in a process is loaded from a dump of that first, still empty cluster (~1 s).
 */
export async function freshPglite(): Promise<PGlite> {
  if (emptyCluster) return PGlite.create({ loadDataDir: await emptyCluster });
  const db = await PGlite.create();
  emptyCluster = db.dumpDataDir('none');
  await emptyCluster;
  return db;
}

/** SQL that takes a database from the committed migrations to the schema ('' when in sync). */
export async function diffMigrationsToSchema(migrationsDir: string, schemaPath: string): Promise<string> {
  const schema = readFileSync(schemaPath, 'utf8');
  const pglite = await freshPglite();
  try {
    const engine = await loadEngine(schema, bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(pglite)));
    try {
      const r = await engine.diff({
        from: { tag: 'migrations', ...migrationsList(migrationsDir) },
        to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      const sql = r.stdout ?? '';
      return EMPTY_MIGRATION.test(sql) ? '' : sql;
    } finally {
      engine.free();
    }
  } finally {
    await pglite.close();
  }
}

/**
 * Run Prisma's own migration engine (the logic behind `prisma migrate deploy`) against a PGlite
 * database; returns the migrations it applied. On a database migrated by `npm run db:migrate`
 * it must apply nothing: that is the compatibility promise of migrations.ts.
 */
export async function prismaEngineDeploy(db: PGlite, migrationsDir: string, schemaPath: string): Promise<string[]> {
  const schema = readFileSync(schemaPath, 'utf8');
  const engine = await loadEngine(schema, bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(db)));
  try {
    const r = await engine.applyMigrations({ migrationsList: migrationsList(migrationsDir), filters: { externalTables: [], externalEnums: [] } });
    return r.appliedMigrationNames;
  } finally {
    engine.free();
  }
}
