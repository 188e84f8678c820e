/**
 * Where the repository's files are, whether this code runs from its TypeScript source (tsx,
 * vitest) or from an esbuild bundle under dist/ (`npm start`, the Docker image). Bundling
 * moves a module's code into another directory, so a path computed from `import.meta.url`
 * is only right from source; paths from the project root (the directory holding
 * package.json) are right from both.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** True under tsx or vitest; false in a bundle (this module's code then sits in a .js file). */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The nearest directory at or above this module's file that holds a package.json. */
export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}

/** A file of the repository, by its path from the root (e.g. `prisma/migrations`). */
export function projectPath(relative: string): string {
  return join(PROJECT_ROOT, relative);
}

/**
 * The compiled form of a source entry point: scripts/build.mjs writes `<path>.ts` to
 * `dist/<path>.js`, so `apps/shared/store/pglite-worker.ts` runs as
 * `dist/apps/shared/store/pglite-worker.js`.
 */
export function compiledEntry(sourcePath: string): URL {
  return pathToFileURL(join(PROJECT_ROOT, 'dist', sourcePath.replace(/\.ts$/, '.js')));
}
