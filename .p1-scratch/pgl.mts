import { openPgliteStore } from '../apps/shared/db/pglite-store';
const t0 = Date.now();
const s = await openPgliteStore({ dataDir: '/tmp/p1/pgl-data' });
console.log('open', Date.now() - t0, s.appliedMigrations);
const m = (id: string, extra: any = {}) => ({ id, destination: '/topic/room.r1', roomId: 'r1', senderId: 'u1', nodeId: 'n1', sentAt: Date.now(), contentType: null, headers: { a: 'b' }, body: Buffer.from('hi ' + id), ...extra });
console.log(await s.insertBatch([m('a'), m('b'), m('c', { headers: { x: '\u0000' } })]));
console.log(await s.lastMessages('r1', 10));
await s.close();
console.log('closed', Date.now() - t0);
