/**
 * Services the benchmarks start as child processes, so their CPU time and RSS can be read
 * from /proc/<pid>: our broker (`node --import tsx apps/broker/main.ts`, no npx wrapper so
 * the PID is the broker itself) and the raw fan-out server. (Node raises its soft
 * open-files limit to the hard one by itself; the `ulimit` in the spawn line only makes that
 * explicit.) Children are stopped by PID (SIGTERM, then SIGKILL)
 * and also killed if this process exits early.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../shared/testing/services/ports';
import { portOpen } from '../../shared/port-open';
import { compiledEntry } from '../../shared/project-root';
import { sleep } from '../../shared/sleep';

export interface ChildService {
  name: string;
  pid: number;
  port: number;
  url: string;
  /** Last lines of its output, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const c of live) if (c.pid) process.kill(c.pid, 'SIGKILL');
};
process.once('exit', killAll);
// `timeout` or Ctrl-C: take the children down too (a signal skips the 'exit' handlers)
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}


/** Extra V8/Node flags for the servers under test, e.g. BENCH_NODE_FLAGS="--max-semi-space-size=64". */
function nodeFlags(): string[] {
  return (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

export interface ChildOptions {
  name: string;
  /** TypeScript entry, relative to the repository root. */
  entry: string;
  env?: Record<string, string>;
  path?: string;
  startTimeoutMs?: number;
  /**
   * Run the compiled bundle (dist/<entry>.js, what `npm run broker` runs) on plain node instead
   * of the source through tsx: the loader's own memory would otherwise count as the server's.
   * The caller builds first (`buildIfStale`).
   */
  compiled?: boolean;
}

/** `npm run build` when a bundled source changed since the last build (as `npm run broker` does). */
export function buildIfStale(): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`build failed (exit ${r.status})`);
}

export async function startChild(o: ChildOptions): Promise<ChildService> {
  const port = await freePort();
  const entry = o.compiled ? ['--enable-source-maps', fileURLToPath(compiledEntry(o.entry))] : ['--import', 'tsx', o.entry];
  // `ulimit -n <hard>` then exec: the PID stays the node process.
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeFlags(), ...entry],
    {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn', ...o.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      r();
    }),
  );
  const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
  while (!(await portOpen(port))) {
    if (exited) throw new Error(`${o.name} exited during start-up:\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.name} did not listen on ${port} in time:\n${log}`);
    }
    await sleep(100);
  }
  const pid = child.pid!;
  return {
    name: o.name,
    pid,
    port,
    url: `ws://127.0.0.1:${port}${o.path ?? '/ws'}`,
    logTail: () => log,
    async stop() {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => !exited && process.kill(pid, 'SIGKILL'), 15_000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Our broker alone (routing only, embedded in-memory offload). */
export function startBrokerChild(env: Record<string, string> = {}): Promise<ChildService> {
  return startChild({ name: 'broker', entry: 'apps/broker/main.ts', env });
}

/**
 * The embedded default (`npm start`: broker + consumer, in-process twins, embedded Postgres)
 * with data in `dataDir`. If that cannot start (apps/all-in-one/main.ts absent or failing), says so on
 * stderr and falls back to the broker alone, so the load numbers still come out.
 */
export async function startEmbeddedChild(dataDir: string, env: Record<string, string> = {}): Promise<ChildService> {
  if (existsSync(`${REPO}apps/all-in-one/main.ts`)) {
    try {
      return await startChild({ name: 'stompbox', entry: 'apps/all-in-one/main.ts', env: { DATA_DIR: dataDir, ...env }, startTimeoutMs: 120_000 });
    } catch (e) {
      const first = (e as Error).message.split('\n').slice(0, 3).join(' | ');
      process.stderr.write(`warning: the embedded default (apps/all-in-one/main.ts) did not start (${first}); measuring the broker alone\n`);
    }
  }
  return startChild({ name: 'stompbox broker', entry: 'apps/broker/main.ts', env });
}

export function startRawChild(): Promise<ChildService> {
  return startChild({ name: 'raw ws fan-out', entry: 'apps/loadgen/bench/raw-fanout-main.ts' });
}
