/**
 * Write a file through a temporary name and a rename: a process starting while a build runs
 * (a second `npm start`, the embedded store's worker) reads either the old file or the new
 * one, never half of one.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomic(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}
