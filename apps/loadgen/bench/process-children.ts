/** The direct children of a process (the workers of a BROKER_PROCESSES primary), from /proc. */
import { readFileSync } from 'node:fs';

export function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
