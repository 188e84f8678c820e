import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compiledEntry, PROJECT_ROOT, projectPath, RUNNING_FROM_SOURCE } from './project-root';

describe('project root', () => {
  it('is the directory of package.json, seen from source', () => {
    expect(RUNNING_FROM_SOURCE).toBe(true);
    expect(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).name).toBe('stompbox');
    expect(existsSync(projectPath('prisma/migrations'))).toBe(true);
    expect(fileURLToPath(compiledEntry('apps/shared/store/pglite-worker.ts'))).toBe(join(PROJECT_ROOT, 'dist/apps/shared/store/pglite-worker.js'));
  });
});

/**
 * Bundling moves every module into dist/, so a bundled module must not compute a path from
 * its own location; it goes through projectPath/compiledEntry. The bundled files are the ones
 * the build records in its stamp.
 */
const OWN_LOCATION = /import\.meta\.(url|dirname|filename)/;
const ALLOWED: Record<string, string> = {
  'apps/shared/project-root.ts': 'finds the root from its own location',
  'apps/shared/logger.ts': 'createRequire: package lookup walks up to node_modules from dist/ as from source',
  'apps/shared/store/pglite-store.ts': 'the source-mode worker boot, used only when RUNNING_FROM_SOURCE',
  'apps/consumer/push/push-send-workers.ts': 'the source-mode worker boot, used only when RUNNING_FROM_SOURCE',
};

describe('the compiled build', () => {
  it('bundles no module that finds files relative to itself', () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const bundled = Object.keys(JSON.parse(readFileSync(projectPath('dist/build-stamp.json'), 'utf8')).files as Record<string, string>);
    const sources = bundled.filter((f) => f.endsWith('.ts') && !f.includes('/generated/'));
    expect(sources).toContain('apps/all-in-one/main.ts');
    const offenders = sources.filter((f) => !(f in ALLOWED) && OWN_LOCATION.test(readFileSync(projectPath(f), 'utf8')));
    expect(offenders).toEqual([]);
  }, 130_000);
});
