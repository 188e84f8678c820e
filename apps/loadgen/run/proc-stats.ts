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
  /**
   * Per thread: CPU time and time runnable but waiting for a core (/proc/<pid>/task/<tid>/
   * schedstat fields 1 and 2), ms. See `busiestThreadsWaitMs`.
   */
  threads: Map<string, ThreadSample>;
}

export interface ThreadSample {
  cpuMs: number;
  waitMs: number;
}

function threadSamples(pid: number, into: Map<string, ThreadSample>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const t of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ');
      into.set(t, { cpuMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 });
    } catch {
      /* thread ended */
    }
  }
}

/**
 * Run-queue wait, over an interval, of the `k` threads that used the most CPU in it (the
 * event-loop threads; helper threads idle most of the time): how long the work measured was
 * runnable but got no core because other work on the machine had them. A large share of the
 * interval means the figure measured the machine, not the program.
 */
export function busiestThreadsWaitMs(before: ProcSample, after: ProcSample, k: number): number {
  const deltas: ThreadSample[] = [];
  for (const [tid, a] of after.threads) {
    const b = before.threads.get(tid) ?? { cpuMs: 0, waitMs: 0 };
    deltas.push({ cpuMs: a.cpuMs - b.cpuMs, waitMs: a.waitMs - b.waitMs });
  }
  deltas.sort((x, y) => y.cpuMs - x.cpuMs);
  return deltas.slice(0, k).reduce((sum, d) => sum + d.waitMs, 0);
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
    const threads = new Map<string, ThreadSample>();
    threadSamples(pid, threads);
    return { cpuMs: ((utime + stime) * 1000) / CLK_TCK, rssKiB: m ? Number(m[1]) : NaN, fds, threads };
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
  const total = { ...root, threads: new Map(root.threads) };
  const stack = childrenOf(pid);
  while (stack.length) {
    const c = stack.pop()!;
    const s = sampleProc(c);
    if (!s) continue;
    total.cpuMs += s.cpuMs;
    total.rssKiB += s.rssKiB;
    for (const [tid, t] of s.threads) total.threads.set(tid, t);
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
