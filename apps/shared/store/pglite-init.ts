/**
 * First start of the embedded database: PGlite creates a new data directory by running
 * initdb, a second wasm instance with its own 128 MiB memory, and the process keeps most of
 * what that touched (measured: 781 MiB RSS for an idle `npm start` on a new DATA_DIR against
 * 274 MiB on the next start; a worker thread that exits gives little of it back either). So a
 * new directory is created by a short-lived child process running the worker's file, and the
 * worker thread then only opens it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreUnavailableError } from './message-store';

/** The flag that makes the worker's file create a data directory and exit (pglite-worker.ts). */
export const INIT_FLAG = '--pglite-init';

/** True once PGlite's initdb has completed in `dataDir` (Postgres writes PG_VERSION). */
export function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** Create `dataDir` in a child process running `entry` (the worker file), unless it exists. */
export async function initInChild(entry: URL, dataDir: string, settings: Record<string, string>, timeoutMs: number): Promise<void> {
  if (isInitialised(dataDir)) return;
  const child = spawn(process.execPath, [fileURLToPath(entry), INIT_FLAG, dataDir, JSON.stringify(settings)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-2_000); // the tail is enough to say why
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0 || !isInitialised(dataDir)) {
      throw new StoreUnavailableError(`creating the embedded database in ${dataDir} failed (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`);
    }
  } finally {
    clearTimeout(timer);
  }
}
