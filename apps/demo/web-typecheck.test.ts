/**
 * The page's browser code (apps/demo/web, DOM types) is outside the root Node project, and
 * vite does not type-check; this keeps it checked in `npm test` (same as `npm run typecheck:demo`).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

it('apps/demo/web type-checks with DOM types', async () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(root, 'apps/demo/web/tsconfig.json')], { cwd: root }).catch(
    (e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? String(e), code: e.code }),
  );
  expect(r.stdout).toBe('');
}, 60_000);
