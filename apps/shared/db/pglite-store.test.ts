/** MessageStore contract on the embedded PGlite (worker thread), plus persistence on disk. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteStore, type PgliteStore } from './pglite-store';
import { StoreUnavailableError } from './message-store';
import { describeMessageStoreContract, expectClosed, freshRoom, makeMessages } from './message-store.contract';

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

  it('bounds the calls in flight', async () => {
    const s = await openPgliteStore({ maxPending: 2 }); // in memory
    try {
      const calls = [s.countMessages(), s.countMessages(), s.countMessages()];
      const results = await Promise.allSettled(calls);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      expect((results[2] as PromiseRejectedResult).reason.message).toMatch(/busy: 2 calls in flight/);
    } finally {
      await s.close();
    }
  }, 60_000);
});
