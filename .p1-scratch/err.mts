import { startPostgres } from '/work/main/apps/shared/testing/services';
import { applyMigrations } from '/work/main/apps/shared/db/migrations';
import { pgRunner } from '/work/main/apps/shared/db/sql-runners';
import { PrismaClient } from '/work/main/apps/shared/db/generated/prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';
import { INSERT_SQL, toColumns, insertParams } from '/work/main/apps/shared/db/message-rows';
import pg from 'pg';
const svc = await startPostgres();
const c = new pg.Client(svc.url); await c.connect(); console.log(await applyMigrations(pgRunner(c))); console.log(await applyMigrations(pgRunner(c))); await c.end();
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: svc.url }) });
const m = (id: string, extra: any = {}) => ({ id, destination: '/topic/room.r1', roomId: 'r1', senderId: 'u1', nodeId: 'n1', sentAt: Date.now(), contentType: null, headers: { a: 'b' }, body: Buffer.from('hi ' + id), ...extra });
const cols = toColumns([m('a'), m('b', { body: Buffer.from([0xff, 0, 1]), contentType: 'application/octet-stream' }), m('a')]);
console.log('inserted', await prisma.$executeRawUnsafe(INSERT_SQL, ...insertParams(cols)));
console.log(await prisma.message.findMany());
for (const bad of [m('c', { senderId: 'x\u0000y' }), m('d', { headers: { x: '\u0000' } }), m('e'.repeat(3000))]) {
  try { await prisma.$executeRawUnsafe(INSERT_SQL, ...insertParams(toColumns([bad]))); console.log('no error for', bad.id.slice(0,5)); }
  catch (e: any) { console.log('ERR', e.constructor.name, e.code, JSON.stringify(e.meta), e.message.slice(0, 300)); console.log(Object.keys(e), e.cause); }
}
await svc.halt();
try { await prisma.$executeRawUnsafe(INSERT_SQL, ...insertParams(toColumns([m('z')]))); } catch (e: any) { console.log('DOWN', e.constructor.name, e.code, JSON.stringify(e.meta), e.message.slice(0, 300)); }
await svc.stop();
await prisma.$disconnect().catch(()=>{});
