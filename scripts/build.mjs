#!/usr/bin/env node
/**
 * `npm run build`: compiles each process to one JavaScript file under dist/ with esbuild.
 * Our imports are extensionless (`from './session'`), which Node's ESM loader cannot
 * resolve, so tsc's per-file output would not run as is; a bundle has no relative import
 * left. Packages stay external, loaded from node_modules at run time (the Docker image
 * installs the production dependencies next to dist/). The type check stays `tsc --noEmit`.
 *
 * dist/ mirrors the source paths (apps/broker/main.ts → dist/apps/broker/main.js);
 * apps/shared/project-root.ts `compiledEntry` relies on that for the worker thread's file.
 *
 *   node scripts/build.mjs             build
 *   node scripts/build.mjs --if-stale  build only if a bundled file changed since the last
 *                                      build (dist/build-stamp.json); what `npm start` runs
 *
 * Both also build the demo page when it is missing (`apps/demo/build.ts --if-missing`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { externalsOutsideDependencies } from './build-externals.mjs';
import { hashFiles, staleReason, writeStamp } from './build-stamp.mjs';
import { writeFileAtomic } from './write-atomic.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The processes (npm start, broker, consumer, db:migrate) and the worker-thread file the
 * embedded store starts with plain node. A JSON file, so the tests of docker-compose.yml and
 * the Dockerfile can check that the entries they run are built.
 */
const ENTRY_POINTS = JSON.parse(readFileSync(join(root, 'scripts/build-entries.json'), 'utf8'));

/** Files that shape the output besides the bundled sources. */
const BUILD_FILES = [
  'scripts/build.mjs',
  'scripts/build-entries.json',
  'scripts/build-externals.mjs',
  'scripts/build-stamp.mjs',
  'scripts/write-atomic.mjs',
  'package.json',
  'tsconfig.json',
];

async function compile() {
  const started = Date.now();
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ENTRY_POINTS,
    outbase: '.',
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Bundling puts every module in one scope and renames clashing classes (Session → Session2);
    // keep the names pino's error serializer and our logs print.
    keepNames: true,
    // Stack traces map back to apps/… lines with `node --enable-source-maps`; the sources
    // themselves are left out of the maps, which keeps them small.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const problems = externalsOutsideDependencies(result.metafile, pkg.dependencies ?? {});
  if (problems.length) throw new Error(`build: ${problems.join('\n')}`);
  for (const f of result.outputFiles) writeFileAtomic(f.path, f.contents);
  writeStamp(root, hashFiles(root, [...Object.keys(result.metafile.inputs), ...BUILD_FILES]));
  const out = result.outputFiles.filter((f) => f.path.endsWith('.js')).map((f) => relative(root, f.path));
  console.log(`build: ${out.join(', ')} in ${Date.now() - started} ms`);
}

/** The page the broker serves at `/`: built from source with vite, only when missing. */
function demoPage() {
  if (existsSync(join(root, 'apps/demo/dist/index.html'))) return;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/demo/build.ts', '--if-missing'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build: the demo page build (apps/demo/build.ts) failed');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const reason = process.argv.includes('--if-stale') ? staleReason(root) : 'requested';
    if (reason) {
      if (reason !== 'requested') console.log(`build: dist/ is out of date (${reason})`);
      await compile();
    }
    demoPage();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
