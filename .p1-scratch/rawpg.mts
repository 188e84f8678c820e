import pg from 'pg';
import { startPostgres } from '../apps/shared/testing/services';
import { openPostgresStore } from '../apps/shared/db/postgres-store';
import { INSERT_SQL, insertParams, toColumns } from '../apps/shared/db/message-rows';
import { MessageIdGenerator } from '../apps/shared/message-id';
const svc = await startPostgres({ database: 'b' });
const store = await openPostgresStore({ url: svc.url });
const gen = new MessageIdGenerator('x');
const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ id: gen.next(), destination: '/topic/room.r', roomId: `r${i % 50}`, senderId: 'u', nodeId: 'x', sentAt: Date.now(), contentType: 'text/plain', headers: {}, body: Buffer.from('x'.repeat(100)) }));
const c = new pg.Client(svc.url); await c.connect();
for (let round = 0; round < 3; round++) {
  let t = performance.now(); for (let i = 0; i < 10; i++) await c.query(INSERT_SQL, insertParams(toColumns(mk(1000)))); const raw = 10000 / ((performance.now() - t) / 1000);
  t = performance.now(); for (let i = 0; i < 10; i++) await store.insertBatch(mk(1000)); const pr = 10000 / ((performance.now() - t) / 1000);
  t = performance.now(); for (let i = 0; i < 10; i++) toColumns(mk(1000)); const cols = 10000 / ((performance.now() - t) / 1000);
  console.log({ raw: Math.round(raw), prisma: Math.round(pr), prepOnly: Math.round(cols) });
}
await c.end(); await store.close(); await svc.stop();
