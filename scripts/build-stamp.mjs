/**
 * The record of what dist/ was built from (dist/build-stamp.json): a sha256 of every file the
 * bundles were made of, as esbuild's metafile lists them, plus the files that shape the build
 * itself. Content hashes rather than mtimes: a checkout, copy or `git stash` can leave an
 * older mtime on changed content. A newly added file is only bundled once an existing
 * file imports it, and that import is a change the hashes see.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './write-atomic.mjs';

export const STAMP_FILE = 'dist/build-stamp.json';

const hashOf = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** `{ path: sha256 }` for the given repository-relative paths. */
export function hashFiles(root, paths) {
  return Object.fromEntries([...new Set(paths)].sort().map((p) => [p, hashOf(join(root, p))]));
}

export function writeStamp(root, files) {
  writeFileAtomic(join(root, STAMP_FILE), `${JSON.stringify({ files }, null, 1)}\n`);
}

/** Why dist/ must be rebuilt (the first difference found), or null when it is current. */
export function staleReason(root) {
  const stampFile = join(root, STAMP_FILE);
  if (!existsSync(stampFile)) return 'no build yet';
  let files;
  try {
    files = JSON.parse(readFileSync(stampFile, 'utf8')).files;
  } catch {
    return `${STAMP_FILE} unreadable`;
  }
  for (const [path, hash] of Object.entries(files ?? {})) {
    const file = join(root, path);
    if (!existsSync(file)) return `${path} removed`;
    if (hashOf(file) !== hash) return `${path} changed`;
  }
  return files && Object.keys(files).length > 0 ? null : `${STAMP_FILE} empty`;
}
