/**
 * A RECEIPT means durable in the embedded default too: SENDs are receipted only once their
 * rows are committed to the embedded database, so kill -9 of the process in the middle of a
 * receipted run loses none of them (found again after a restart on the same data directory).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frame, rawConnect } from '../broker/testing/raw-client';
import { startAllInOneProcess } from './testing/start-all-in-one';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-durable-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every body stored in a room, paging back through the REST history. */
async function storedBodies(http: string, roomId: string): Promise<Set<string>> {
  const bodies = new Set<string>();
  let before: string | null = null;
  for (;;) {
    const res = await fetch(`${http}/api/rooms/${roomId}/messages?limit=200${before ? `&before=${before}` : ''}`);
    const page = (await res.json()) as { messages: { body: string }[]; nextBefore: string | null };
    for (const m of page.messages) bodies.add(m.body);
    if (!page.nextBefore) return bodies;
    before = page.nextBefore;
  }
}

describe('RECEIPT durability in the embedded default', () => {
  it('kill -9 mid-run loses no receipted message', async () => {
    const first = await startAllInOneProcess(dataDir, children);
    const c = await rawConnect(first.url, ['v12.stomp']);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: 'carol' }));
    await c.waitFor((f) => f.command === 'CONNECTED');
    const receipted: string[] = [];
    c.ws.on('message', (data: Buffer) => {
      const m = /^RECEIPT\nreceipt-id:(m\d+)\n/.exec(data.toString('latin1', 0, 40));
      if (m) receipted.push(m[1]);
    });
    // Keep sending in bursts; kill the process once a good share has been receipted.
    let sent = 0;
    while (receipted.length < 3_000 && sent < 60_000) {
      let burst = '';
      for (let i = 0; i < 500; i++, sent++) burst += frame('SEND', { destination: '/topic/room.durable', receipt: `m${sent}` }, `m${sent}`);
      c.send(burst);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = [...receipted];
    expect(atKill.length).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(atKill.length); // some were in flight, unreceipted, when it died

    const second = await startAllInOneProcess(dataDir, children);
    const stored = await storedBodies(second.http, 'durable');
    const lost = atKill.filter((id) => !stored.has(id));
    console.log(`sent ${sent}, receipted before kill -9 ${atKill.length}, stored after restart ${stored.size}, receipted but lost ${lost.length}`);
    expect(lost).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);
});
