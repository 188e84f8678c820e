/**
 * Every connection is one open file. Node raises its own soft RLIMIT_NOFILE to the hard limit
 * at start-up (checked here: `ulimit -Sn 1024` still lets one load generator hold 1,500
 * connections), so the hard limit is what counts; the benchmarks print it.
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
