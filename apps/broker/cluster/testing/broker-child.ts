/**
 * `npm run broker` as a child process (its own process group, so a test can kill -9 it or
 * SIGTERM every process of it), run from source with node's tsx loader: one node process, or a
 * primary and its workers under BROKER_PROCESSES.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../../shared/project-root';

export interface BrokerChild {
  proc: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Signal the whole process group (by its id, which is the child's pid). */
  signal(sig: NodeJS.Signals): void;
  /** Wait until /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
}

export function spawnBroker(port: number, env: Record<string, string>): BrokerChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/broker/main.ts'], {
    cwd: PROJECT_ROOT,
    detached: true,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  return {
    proc,
    port,
    output: () => out,
    exited,
    signal: (sig) => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, sig);
    },
    ready: async (timeoutMs = 120_000) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (proc.exitCode !== null) throw new Error(`broker exited ${proc.exitCode}: ${out.slice(-3000)}`);
        const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
        if (status === 200) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`broker not ready within ${timeoutMs} ms: ${out.slice(-3000)}`);
    },
  };
}
