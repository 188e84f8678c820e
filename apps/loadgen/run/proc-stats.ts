/**
 * CPU time and resident memory of a process from /proc (Linux). Used for the broker
 * (given its PID) and for the load generator itself, so reports show both side by side.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86/arm: 100 everywhere we run

export interface ProcSample {
  /** user + system CPU time, ms (10 ms resolution). */
  cpuMs: number;
  rssKiB: number;
  /** Open file descriptors. */
  fds: number;
}

/** null when the process is gone or /proc is not there. */
export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces; fields after the closing paren are space separated
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    let fds = -1;
    try {
      fds = readdirCount(`/proc/${pid}/fd`);
    } catch {
      /* not ours to read */
    }
    return { cpuMs: ((utime + stime) * 1000) / CLK_TCK, rssKiB: m ? Number(m[1]) : NaN, fds };
  } catch {
    return null;
  }
}

function readdirCount(dir: string): number {
  return readdirSync(dir).length;
}

/** Direct children of a process, from /proc/<pid>/task/<pid>/children (or a /proc scan). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
      } catch {
        /* gone */
      }
    }
    return out;
  }
}

/**
 * A process and all its descendants summed (a start script wrapping beam.smp, npx wrapping
 * node): CPU and RSS of the whole service.
 */
export function sampleProcTree(pid: number): ProcSample | null {
  const root = sampleProc(pid);
  if (!root) return null;
  const total = { ...root };
  const stack = childrenOf(pid);
  while (stack.length) {
    const c = stack.pop()!;
    const s = sampleProc(c);
    if (!s) continue;
    total.cpuMs += s.cpuMs;
    total.rssKiB += s.rssKiB;
    if (s.fds > 0) total.fds += s.fds;
    stack.push(...childrenOf(c));
  }
  return total;
}

/** CPU of this whole process (all threads) in ms, from process.cpuUsage (µs resolution). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
