/**
 * The product as `npm start` runs it (embedded default, nothing configured): a real
 * process, real sockets. A receipted SEND reaches the database (REST history page), a
 * later SUBSCRIBE replays it, and after SIGTERM and a restart on the same data directory
 * the history is still there.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frame, rawConnect } from '../broker/testing/raw-client';
import { startAllInOneProcess } from './testing/start-all-in-one';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-aio-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () => startAllInOneProcess(dataDir, children);

describe('npm start (embedded default)', () => {
  it('persists, replays history, serves the REST page, drains on SIGTERM and keeps history across a restart', async () => {
    const first = await start();
    const c = await rawConnect(first.url, ['v12.stomp']);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: 'alice' }));
    for (let i = 0; i < 20; i++) c.send(frame('SEND', { destination: '/topic/room.lobby', receipt: `r${i}` }, `hello ${i}`));
    await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r19', 20_000);

    // a RECEIPT means stored: the REST page (which reads the database) has them
    let page: { messages: { id: string; body: string; senderId: string }[] } = { messages: [] };
    await expect
      .poll(async () => {
        const res = await fetch(`${first.http}/api/rooms/lobby/messages?limit=50`);
        page = (await res.json()) as typeof page;
        return page.messages.length;
      }, { timeout: 20_000, interval: 200 })
      .toBe(20);
    expect(page.messages.map((m) => m.body).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`).sort());
    expect(page.messages[0].senderId).toBe('alice');
    const bad = await fetch(`${first.http}/api/rooms/lobby/messages?limit=abc`);
    expect(bad.status).toBe(400);
    // development mode: the room and its sender were created on first use, sender as member
    await expect
      .poll(async () => {
        const res = await fetch(`${first.http}/api/rooms/lobby/members`);
        return res.status === 200 ? JSON.stringify(await res.json()) : `HTTP ${res.status}`;
      }, { timeout: 10_000, interval: 200 })
      .toContain('alice');

    c.send(frame('DISCONNECT', { receipt: 'bye' }));
    await c.closed;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await start();
    const s = await rawConnect(second.url, ['v12.stomp']);
    s.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: 'bob' }));
    s.send(frame('SUBSCRIBE', { id: 'h', destination: '/topic/room.lobby', 'x-history-last': '5' }));
    const replay = await s.waitForCount((f) => f.command === 'MESSAGE', 5, 20_000);
    expect(replay.map((m) => m.body.toString())).toEqual(['hello 15', 'hello 16', 'hello 17', 'hello 18', 'hello 19']);
    for (const m of replay) expect(m.headers['x-history']).toBe('true');
    s.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);
});
