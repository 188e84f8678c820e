import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './project-root';

/** A child that drains for 600 ms on a signal; resolves with its exit code and output. */
function drainingChild(): { ready: Promise<void>; signal(s: NodeJS.Signals): void; exited: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const code = [
    "const { exitOnSignals } = await import('./apps/shared/process.ts');",
    "const { createLogger } = await import('./apps/shared/logger.ts');",
    "exitOnSignals(() => new Promise((r) => setTimeout(r, 600)), createLogger('info', 't'));",
    "setInterval(() => {}, 1000); console.log('ready');",
  ].join(' ');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    }),
  );
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
  return { ready, signal: (s) => child.kill(s), exited };
}

describe('exitOnSignals', () => {
  // `npm start` under a process-group SIGTERM: the server gets it directly and again from npm.
  it('finishes the drain and exits 0 when the signal comes again during the drain', async () => {
    const c = drainingChild();
    await c.ready;
    c.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    c.signal('SIGTERM');
    c.signal('SIGINT');
    const { code, signal, out } = await c.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(out).toContain('shutdown requested');
    expect(out).toContain('already draining');
  }, 20_000);
});
