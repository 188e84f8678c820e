/**
 * `npm run bench:store`: rows/s of Store.insertBatch with 1,000-row batches, on a real
 * PostgreSQL (started by the test harness, or TEST_DATABASE_URL) and on the embedded PGlite
 * (worker thread, on disk), against a baseline measured in the same run: one INSERT per row. Also the main thread's worst event-loop stall during the PGlite run
 * (the reason it lives in a worker). Bounded: BENCH_ROWS rows per backend (default 50,000).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MessageIdGenerator } from '../apps/shared/message-id';
import type { OutboundMessage } from '../apps/shared/message';
import { startPostgres } from '../apps/shared/testing/services';
import { openPostgresStore } from '../apps/shared/store/postgres-store';
import { openPgliteStore } from '../apps/shared/store/pglite-store';
import type { Store } from '../apps/shared/store/store';

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const BATCH = 1_000;
const BASELINE_ROWS = Math.min(ROWS, 5_000);

function messages(n: number, tag: string): OutboundMessage[] {
  const gen = new MessageIdGenerator(tag);
  return Array.from({ length: n }, (_, i) => ({
    id: gen.next(),
    destination: `/topic/room.r${i % 50}`,
    roomId: `r${i % 50}`,
    senderId: `u${i % 500}`,
    nodeId: tag,
    sentAt: Date.now(),
    contentType: 'text/plain',
    headers: {},
    body: Buffer.from(`message ${i} `.padEnd(100, 'x')),
  }));
}

async function batched(store: Store, msgs: OutboundMessage[]): Promise<number> {
  for (let i = 0; i < 5; i++) await store.insertBatch(messages(BATCH, `warm${i}`)); // warm-up (connections, JIT, plan)
  const t0 = performance.now();
  let inserted = 0;
  for (let i = 0; i < msgs.length; i += BATCH) inserted += (await store.insertBatch(msgs.slice(i, i + BATCH))).inserted;
  const s = (performance.now() - t0) / 1000;
  if (inserted !== msgs.length) throw new Error(`inserted ${inserted} of ${msgs.length}`);
  return msgs.length / s;
}

async function perRowPostgres(url: string, msgs: OutboundMessage[]): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  const t0 = performance.now();
  for (const m of msgs) {
    await c.query(
      'INSERT INTO messages (id, room_id, destination, sender_id, node_id, body, content_type, headers, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING',
      [m.id, m.roomId, m.destination, m.senderId, m.nodeId, m.body.toString(), m.contentType, JSON.stringify(m.headers), new Date(m.sentAt)],
    );
  }
  const s = (performance.now() - t0) / 1000;
  await c.end();
  return msgs.length / s;
}

async function perRowStore(store: Store, msgs: OutboundMessage[]): Promise<number> {
  const t0 = performance.now();
  for (const m of msgs) await store.insertBatch([m]);
  return msgs.length / ((performance.now() - t0) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`insertBatch, ${BATCH}-row batches, ${ROWS} rows per backend (baseline: ${BASELINE_ROWS} single-row inserts)`);

  const svc = await startPostgres({ database: 'bench' });
  try {
    const store = await openPostgresStore({ url: svc.url });
    const rate = await batched(store, messages(ROWS, 'pg'));
    const base = await perRowPostgres(svc.url, messages(BASELINE_ROWS, 'pgrow'));
    console.log(`postgres: ${fmt(rate)} rows/s batched; ${fmt(base)} rows/s one INSERT per row; ratio ${(rate / base).toFixed(1)}x`);
    await store.close();
  } finally {
    await svc.stop();
  }

  const dir = mkdtempSync(join(tmpdir(), 'stompbox-bench-pglite-'));
  try {
    const t0 = performance.now();
    const store = await openPgliteStore({ dataDir: join(dir, 'pglite') });
    console.log(`pglite: opened in ${fmt(performance.now() - t0)} ms`);
    const rows = messages(ROWS, 'pgl');
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const rate = await batched(store, rows);
    h.disable();
    const base = await perRowStore(store, messages(Math.min(BASELINE_ROWS, 2_000), 'pglrow'));
    console.log(`pglite (worker): ${fmt(rate)} rows/s batched; ${fmt(base)} rows/s one insert per row; ratio ${(rate / base).toFixed(1)}x`);
    console.log(`pglite: main-thread event-loop delay during the batched run: p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
