/**
 * CPU seconds per component during a benchmark phase, from /proc (Linux): a service's
 * process and all its descendants, or one pid.
 * Used by bench-pipeline.ts to show where the time goes.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpu: number;
  /** CPU of children already exited and reaped by this process (cutime + cstime). */
  reaped: number;
}

function readAll(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) cutime(13) cstime(14)
      out.push({ pid: Number(d), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS, reaped: (Number(f[13]) + Number(f[14])) / TICKS });
    } catch {
      // process ended meanwhile
    }
  }
  return out;
}

/**
 * utime+stime (s) of `root` and all its descendants (Postgres backends call setsid, so
 * process groups do not cover them; the parent chain does), plus what descendants that have
 * exited used (their parents' cutime+cstime), so the sum never drops when one exits.
 */
function treeCpu(all: ProcStat[], root: number): number {
  const children = new Map<number, ProcStat[]>();
  for (const p of all) {
    let l = children.get(p.ppid);
    if (!l) children.set(p.ppid, (l = []));
    l.push(p);
  }
  let sum = 0;
  const stack = all.filter((p) => p.pid === root);
  while (stack.length) {
    const p = stack.pop()!;
    sum += p.cpu + p.reaped;
    stack.push(...(children.get(p.pid) ?? []));
  }
  return sum;
}

function pidCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return NaN;
  }
}

/** `tree`: a service's leader pid (counted with all its descendants); `pid`: one process. */
export type CpuTargets = Record<string, { tree?: number; pid?: number }>;

export function cpuSnapshot(targets: CpuTargets): Record<string, number> {
  const all = readAll();
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(targets)) out[name] = t.tree ? treeCpu(all, t.tree) : t.pid ? pidCpu(t.pid) : NaN;
  return out;
}

export function cpuDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) out[k] = b[k] - (a[k] ?? 0);
  return out;
}
