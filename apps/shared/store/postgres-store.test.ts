/** Store contract on a real PostgreSQL (started by the test harness), plus outage behaviour. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startPostgres, type ServiceHandle } from '../testing/services';
import { openPostgresStore } from './postgres-store';
import { instrumentStore } from './store-metrics';
import { StoreUnavailableError } from './message-store';
import type { Store } from './store';
import { describeMessageStoreContract, expectClosed, freshRoom, makeMessages } from './message-store.contract';
import { describeRoomDirectoryContract } from './room-directory.contract';
import { sleep } from '../sleep';

let pg: ServiceHandle;
let store: Store;

beforeAll(async () => {
  pg = await startPostgres();
  store = await openPostgresStore({ url: pg.url });
});
afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

describeMessageStoreContract('postgres', () => store);
describeRoomDirectoryContract('postgres', () => store);

describe('postgres store', () => {
  it('reports an unreachable database as StoreUnavailableError and recovers when it is back', async ({ skip }) => {
    if (pg.external) skip();
    const room = freshRoom();
    const all = makeMessages(room, 7);
    const [a, b] = [all.slice(0, 3), all.slice(3)];
    expect((await store.insertBatch(a)).inserted).toBe(3);
    await pg.halt();
    await expect(store.insertBatch(b)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.lastMessages(room, 5)).rejects.toBeInstanceOf(StoreUnavailableError);
    await pg.start();
    // The pool drops the dead connections and reconnects; retrying the same batch is safe.
    let inserted = -1;
    for (let i = 0; i < 50 && inserted < 0; i++) {
      inserted = await store.insertBatch(b).then((r) => r.inserted, () => -1);
      if (inserted < 0) await sleep(100);
    }
    expect(inserted).toBe(4);
    expect(await store.countMessages(room)).toBe(7);
  });

  it('counts inserted, duplicate and rejected rows in prom-client metrics', async () => {
    const registry = new Registry();
    const s = instrumentStore(store, registry);
    const room = freshRoom();
    const msgs = makeMessages(room, 5);
    await s.insertBatch(msgs);
    await s.insertBatch([...msgs.slice(0, 2), { ...msgs[0], id: `${msgs[0].id}x`, headers: { bad: '\u0000' } }]);
    const text = await registry.metrics();
    expect(text).toMatch(/stompbox_db_insert_rows_total\{store="postgres",outcome="inserted"\} 5/);
    expect(text).toMatch(/stompbox_db_insert_rows_total\{store="postgres",outcome="duplicate"\} 2/);
    expect(text).toMatch(/stompbox_db_insert_rows_total\{store="postgres",outcome="rejected"\} 1/);
    expect(text).toMatch(/stompbox_db_insert_batch_seconds_count\{store="postgres"\} 2/);
  });

  it('fails every call after close()', async () => {
    const s = await openPostgresStore({ url: pg.url, migrate: false });
    await s.close();
    await expectClosed(s);
  });
});
