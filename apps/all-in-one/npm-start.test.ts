/**
 * `npm start` as a person or a supervisor runs it: it builds dist/ if stale, then the server is
 * ONE process under npm — node on the compiled entry, holding the port itself (no shell, no
 * TypeScript runner between). A SIGTERM to the whole process group (a supervisor's stop,
 * Ctrl-C's SIGINT alike) reaches that node twice, directly and forwarded by npm; it drains
 * and exits 0, and npm with it. A receipted SEND read back through the REST page shows the
 * compiled embedded store (worker thread, Prisma client, migrations) working.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../shared/project-root';
import { commandLine, descendants, listenersOf } from '../shared/testing/process-tree';
import { freePort } from '../shared/testing/services/ports';
import { frame, rawConnect } from '../broker/testing/raw-client';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-npm-start-'));
let npm: ChildProcess | null = null;
afterAll(() => {
  // The group we started (detached: npm leads it), by its id, in case the test failed midway.
  if (npm?.pid && npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs one node process on the compiled entry, which serves the port and drains on a process-group SIGTERM', async () => {
    const port = await freePort();
    const http = `http://127.0.0.1:${port}`;
    const child = spawn('npm', ['start'], {
      cwd: PROJECT_ROOT,
      detached: true, // its own process group, as a terminal or a supervisor gives it
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', AMQP_URL: '', REDIS_URL: '', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm = child;
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));

    // Build (when stale) + the embedded database's start (~6-10 s, more on a loaded machine).
    await expect
      .poll(
        async () => {
          if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${out.slice(-3000)}`);
          return fetch(`${http}/healthz`).then((r) => r.status, () => 0);
        },
        { timeout: 150_000, interval: 250 },
      )
      .toBe(200);

    const tree = descendants(child.pid!);
    expect(tree.map((p) => commandLine(p).join(' ')), 'processes under npm').toHaveLength(1);
    const [server] = tree;
    expect(commandLine(server).slice(1)).toEqual(['--enable-source-maps', 'dist/apps/all-in-one/main.js']);
    expect(commandLine(server)[0]).toMatch(/(^|\/)node$/);
    expect(listenersOf(port, [child.pid!, server])).toEqual([server]);

    const c = await rawConnect(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: 'carol' }));
    c.send(frame('SEND', { destination: '/topic/room.npmstart', receipt: 'r1' }, 'compiled'));
    await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r1', 20_000);
    await expect
      .poll(async () => JSON.stringify(await (await fetch(`${http}/api/rooms/npmstart/messages?limit=5`)).json()), { timeout: 20_000, interval: 200 })
      .toContain('"compiled"');
    c.close();

    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited, out.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(out).toContain('"shutdown requested"');
    expect(out).toContain('"drained"');
    expect(commandLine(server)).toEqual([]);
  }, 240_000);
});
