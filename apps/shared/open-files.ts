/**
 * Every connection is one open file. Node raises its own soft RLIMIT_NOFILE to the hard limit
 * at start-up (checked here: `ulimit -Sn 1024` still lets one process hold 1,500
 * connections), so the hard limit is what counts.
 */
import { readFileSync } from 'node:fs';

export function openFilesLimit(): { soft: number; hard: number } {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    const n = (s: string | undefined) => (s === undefined ? NaN : s === 'unlimited' ? Infinity : Number(s));
    return { soft: n(m?.[1]), hard: n(m?.[2]) };
  } catch {
    return { soft: NaN, hard: NaN };
  }
}

/** Files a server keeps for itself beside its connections: stdio, listeners, database, queue and worker handles. */
export const RESERVED_FILES = 200;

/**
 * The most connections one process can hold before accept() starts failing with EMFILE
 * (clients then see a reset rather than a refusal); null when the limit is unknown or unlimited.
 */
export function connectionCapacity(limit = openFilesLimit()): number | null {
  const n = Math.max(limit.soft, limit.hard);
  if (!Number.isFinite(n)) return null;
  return Math.max(1, n - RESERVED_FILES);
}
