/**
 * The plain-SQL Postgres store (the broker's) against the same contracts as the Prisma store,
 * on a real PostgreSQL, and the same answers as the Prisma store for the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type ServiceHandle } from '../testing/services';
import { openPostgresStore } from './postgres-store';
import { openSqlStore } from './sql-store';
import { StoreUnavailableError } from './message-store';
import type { Store } from './store';
import { describeMessageStoreContract, expectClosed, freshRoom, makeMessages } from './message-store.contract';
import { describeRoomDirectoryContract } from './room-directory.contract';

let pg: ServiceHandle;
let store: Store;
let prisma: Store;

beforeAll(async () => {
  pg = await startPostgres();
  store = await openSqlStore({ url: pg.url });
  prisma = await openPostgresStore({ url: pg.url, migrate: false });
});
afterAll(async () => {
  await store?.close();
  await prisma?.close();
  await pg?.stop();
});

describeMessageStoreContract('postgres (sql)', () => store);
describeRoomDirectoryContract('postgres (sql)', () => store);

describe('sql store', () => {
  it('reads what the Prisma store reads, row for row', async () => {
    const room = freshRoom();
    const msgs = makeMessages(room, 6);
    msgs[1] = { ...msgs[1], body: Buffer.from([0, 1, 2, 255]), contentType: 'application/octet-stream', headers: { a: 'b' } };
    await prisma.insertBatch(msgs);
    for (const [a, b] of [
      [store.lastMessages(room, 4), prisma.lastMessages(room, 4)],
      [store.messagesAfter(room, msgs[1].id, 10), prisma.messagesAfter(room, msgs[1].id, 10)],
      [store.messagesBefore(room, msgs[4].id, 2), prisma.messagesBefore(room, msgs[4].id, 2)],
      [store.countMessages(room), prisma.countMessages(room)],
    ]) {
      expect(await a).toEqual(await b);
    }
    const owner = freshRoom('owner');
    await store.createRoom(room, 'Room', owner);
    await store.addMember(room, 'u2');
    await store.upsertDeviceToken('u2', `tok-${room}`, 'web');
    expect(await store.getRoom(room)).toEqual(await prisma.getRoom(room));
    expect(await store.listMembers(room)).toEqual(await prisma.listMembers(room));
    expect(await store.listRoomsOf('u2', 10)).toEqual(await prisma.listRoomsOf('u2', 10));
    expect(await store.listDeviceTokens(['u2', owner])).toEqual(await prisma.listDeviceTokens(['u2', owner]));
  });

  it('reports an unreachable database as StoreUnavailableError', async () => {
    const s = await openSqlStore({ url: pg.url.replace(/:(\d+)\//, ':1/'), migrate: false });
    await expect(s.lastMessages(freshRoom(), 5)).rejects.toBeInstanceOf(StoreUnavailableError);
    await s.close();
  });

  it('fails every call after close()', async () => {
    const s = await openSqlStore({ url: pg.url, migrate: false });
    await s.close();
    await expectClosed(s);
  });
});
