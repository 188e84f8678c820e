import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wantsPrettyLogs } from './logger';
import { PROJECT_ROOT } from './project-root';

describe('wantsPrettyLogs', () => {
  it('is true only at a terminal in development, outside CI and tests', () => {
    expect(wantsPrettyLogs({}, true)).toBe(true);
    expect(wantsPrettyLogs({ NODE_ENV: 'development' }, true)).toBe(true);
    expect(wantsPrettyLogs({}, false)).toBe(false);
    expect(wantsPrettyLogs({ NODE_ENV: 'production' }, true)).toBe(false);
    expect(wantsPrettyLogs({ CI: '1' }, true)).toBe(false);
    expect(wantsPrettyLogs({ VITEST: 'true' }, true)).toBe(false);
  });
});

/** Log one line from a child whose stdout is a terminal (util-linux `script` gives it a pty). */
function logAtTerminal(env: Record<string, string>): string {
  const { VITEST: _v, CI: _c, NODE_ENV: _n, VITEST_POOL_ID: _p, VITEST_WORKER_ID: _w, ...rest } = process.env;
  const code = "const { createLogger } = await import('./apps/shared/logger.ts'); createLogger('info', 't').info({ n: 1 }, 'hello');";
  const r = spawnSync('script', ['-qec', `${process.execPath} --import tsx --input-type=module -e "${code}"`, '/dev/null'], {
    cwd: PROJECT_ROOT,
    env: { ...rest, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!existsSync('/usr/bin/script'))('createLogger at a terminal', () => {
  it('prints readable lines in development', () => {
    const out = logAtTerminal({});
    expect(out).toMatch(/INFO.*hello/);
    expect(out).not.toContain('{"level"');
  });

  it('prints JSON lines in production', () => {
    const line = logAtTerminal({ NODE_ENV: 'production' }).trim();
    expect(JSON.parse(line)).toMatchObject({ level: 30, name: 't', n: 1, msg: 'hello' });
  });
});
