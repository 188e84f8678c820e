/** Store contract on the embedded PGlite (worker thread), plus persistence on disk. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { openPgliteStore, PgliteStore } from './pglite-store';
import { StoreUnavailableError } from './message-store';
import { InvalidArgumentError } from './validate';
import { describeMessageStoreContract, expectClosed, freshRoom, makeMessages } from './message-store.contract';
import { describeRoomDirectoryContract } from './room-directory.contract';

const dir = mkdtempSync(join(tmpdir(), 'stompbox-pglite-test-'));
let store: PgliteStore;

beforeAll(async () => {
  store = await openPgliteStore({ dataDir: join(dir, 'pglite') });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describeMessageStoreContract('pglite (worker thread)', () => store);
describeRoomDirectoryContract('pglite (worker thread)', () => store);

describe('pglite store', () => {
  it('applied the migrations on first open', () => {
    expect(store.appliedMigrations.length).toBeGreaterThan(0);
  });

  it('refuses a second opener of the same data dir while the first holds it', async () => {
    await expect(openPgliteStore({ dataDir: join(dir, 'pglite') })).rejects.toThrow(/in use by process/);
  });

  it('keeps messages across close and reopen (files on disk), and does not re-apply migrations', async () => {
    const room = freshRoom();
    const msgs = makeMessages(room, 30);
    await store.insertBatch(msgs);
    await store.close();
    await expectClosed(store);
    await expect(store.lastMessages(room, 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    store = await openPgliteStore({ dataDir: join(dir, 'pglite') });
    expect(store.appliedMigrations).toEqual([]);
    expect((await store.lastMessages(room, 100)).map((m) => m.id)).toEqual(msgs.map((m) => m.id));
  }, 60_000);

  it('rebuilds the class of a store error that crossed the worker boundary', async () => {
    // The proxy alone, over a stand-in worker that answers each call with the error kind given.
    const kinds = ['invalid-argument', 'unavailable', 'other'] as const;
    const worker = Object.assign(new EventEmitter(), {
      postMessage(req: { id: number }) {
        const kind = kinds[req.id - 1];
        queueMicrotask(() => worker.emit('message', { type: 'result', id: req.id, ok: false, error: { kind, name: 'SomeError', message: `failed: ${kind}` } }));
      },
      terminate: async () => 0,
    });
    const s = new PgliteStore(worker as unknown as Worker, 10, () => {});
    const [invalid, unavailable, other] = await Promise.all(kinds.map(() => s.countMessages().catch((e: Error) => e)));
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect((invalid as Error).message).toBe('failed: invalid-argument');
    expect(unavailable).toBeInstanceOf(StoreUnavailableError);
    expect(other).not.toBeInstanceOf(InvalidArgumentError);
    expect(other).not.toBeInstanceOf(StoreUnavailableError);
    expect((other as Error).name).toBe('SomeError');
  });

  it('bounds the calls in flight, and fails pending calls when the worker dies', async () => {
    // The proxy alone, over a stand-in worker that never answers (no PGlite needed).
    const worker = Object.assign(new EventEmitter(), { posted: 0, postMessage() { this.posted++; }, terminate: async () => 0 });
    const s = new PgliteStore(worker as unknown as Worker, 2, () => {});
    const calls = [s.countMessages(), s.countMessages(), s.countMessages()].map((p) => p.catch((e: Error) => e));
    expect(((await calls[2]) as Error).message).toMatch(/busy: 2 calls in flight/);
    expect(worker.posted).toBe(2);
    expect(s.inFlight()).toBe(2);
    worker.emit('exit', 1);
    for (const c of calls.slice(0, 2)) expect(await c).toBeInstanceOf(StoreUnavailableError);
    await expect(s.countMessages()).rejects.toThrow(/worker exited \(code 1\)/);
  });
});
