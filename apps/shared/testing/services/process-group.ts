/**
 * Child processes for test services. Each service runs in its own process group (spawned
 * detached), so signals reach the server and every helper it forks (Postgres backends,
 * Erlang's port programs) and nothing is left behind. Processes are only ever signalled by
 * their own group id, never by name. Groups still alive when the test process exits (or is
 * ended by SIGTERM/SIGINT/SIGHUP) are SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import { sleep } from '../../sleep';

const live = new Set<number>();
/** Temp dirs of services still in use: deleted too when the process ends without stop(). */
const dirs = new Set<string>();
let hooked = false;

export function trackDir(dir: string): void {
  hookExit();
  dirs.add(dir);
}
export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

function killAllGroups(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllGroups);
  // A test runner ends a worker with SIGTERM (e.g. after a timeout), which skips 'exit' hooks.
  // Kill our servers, then let the signal do what it would have done: re-raise it when nobody
  // else listens (default action: terminate), else leave it to the other listeners.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllGroups();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export interface SpawnOptions {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** stdout and stderr are appended here (read it when start-up fails). */
  logFile: string;
}

export class GroupProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(opts: SpawnOptions) {
    hookExit();
    const fd = openSync(opts.logFile, 'a');
    try {
      this.child = spawn(opts.cmd, opts.args, {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        uid: opts.uid,
        gid: opts.gid,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`could not start ${opts.cmd}`);
    this.pid = this.child.pid;
    live.add(this.pid);
    // Do not keep the test process alive for a server it forgot to stop: the exit hook kills it.
    this.child.unref();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.done = true;
        live.delete(this.pid);
        resolve({ code, signal });
      });
      this.child.once('error', () => {
        this.done = true;
        live.delete(this.pid);
        resolve({ code: null, signal: null });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Signal the leader only (servers that shut their children down themselves). */
  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* gone */
    }
  }

  /** Signal the whole process group. */
  signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      /* gone */
    }
  }

  /**
   * Ask politely with `sig` (to the leader, or the group), wait up to `timeoutMs`, then SIGKILL
   * the group. Resolves when the leader has exited and the group is empty.
   */
  async terminate(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000, group = false): Promise<void> {
    if (this.running) {
      if (group) this.signalGroup(sig);
      else this.signal(sig);
      const timer = setTimeout(() => this.signalGroup('SIGKILL'), timeoutMs);
      await this.waitExit();
      clearTimeout(timer);
    }
    await this.waitGroupGone(timeoutMs);
  }

  /** SIGKILL the group (a crash, for fault tests) and wait until every member is gone. */
  async kill(): Promise<void> {
    this.signalGroup('SIGKILL');
    await this.waitExit();
    await this.waitGroupGone(5_000);
  }

  /** Await the exit with the child referenced, so a caller that waits only for it keeps Node alive. */
  private async waitExit(): Promise<void> {
    if (this.done) return;
    this.child.ref();
    try {
      await this.exited;
    } finally {
      this.child.unref();
    }
  }

  /** Members of the group may outlive the leader briefly; wait, then SIGKILL stragglers. */
  private async waitGroupGone(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (groupAlive(this.pid)) {
      if (Date.now() > deadline) {
        this.signalGroup('SIGKILL');
        await sleep(50);
        if (Date.now() > deadline + 2_000) throw new Error(`process group ${this.pid} would not exit`);
      }
      await sleep(20);
    }
  }
}

/** True while any process of group `pgid` exists (signal 0 checks without signalling). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Poll `probe` until it resolves true; fail with the log tail when the process dies or time runs out. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: GroupProcess; logTail?: () => string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.proc && !opts.proc.running) {
      throw new Error(`${what}: process exited during start-up\n${opts.logTail?.() ?? ''}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms\n${opts.logTail?.() ?? ''}`);
    await sleep(opts.intervalMs ?? 50);
  }
}
