/** What the benchmark ran on, printed above its table (numbers mean little without it). */
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';

export function openFilesLimit(): { soft: number; hard: number } {
  const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined) => (s === undefined ? NaN : s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

export function machineLine(): string {
  const c = cpus();
  const fd = openFilesLimit();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, open files ${fd.soft}/${fd.hard} (soft/hard)`;
}
