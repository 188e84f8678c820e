/**
 * `npm run bench:store`: rows/s of Store.insertBatch for each insert path (row-inserter.ts:
 * copy, unnest, prisma) and each way the copy path can COPY (insert-backends.ts: binary or text
 * data, straight into `messages` or through the staging table), measured in the same run on the same rows, on a real PostgreSQL
 * (started by the test harness, or TEST_DATABASE_URL) and on the embedded PGlite (worker thread,
 * on disk), against a baseline measured in the same run: one INSERT per row. Batches are
 * PackedRows cut from packs of 100 messages, as the consumer's writer hands them over.
 * Rounds alternate between the paths (ABCABC...) so drifting machine load hits each alike;
 * the table shows the median round. Also the main thread's worst event-loop stall during the
 * PGlite runs (the reason it lives in a worker), and CPU µs per row in this process and in
 * Postgres (the Postgres server's process tree).
 * Options (env): BENCH_ROWS rows per path and round (default 30,000), BENCH_ROUNDS (3),
 * BENCH_BATCH rows per insertBatch (2,000, the writer's 20 packs), BENCH_CHUNK rows per statement
 * (INSERT_CHUNK_ROWS), BENCH_PGLITE=0 to skip PGlite, BENCH_VARIANTS (comma-separated names, default all).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MessageIdGenerator } from '../apps/shared/message-id';
import type { OutboundMessage } from '../apps/shared/message';
import { encodePack, indexPack } from '../apps/shared/queue/pack-codec';
import { startPostgres } from '../apps/shared/testing/services';
import { openPostgresStore } from '../apps/shared/store/postgres-store';
import { openPgliteStore } from '../apps/shared/store/pglite-store';
import { INSERT_CHUNK_ROWS } from '../apps/shared/store/message-store';
import { PackedRows } from '../apps/shared/store/packed-rows';
import type { InsertPath } from '../apps/shared/store/row-inserter';
import { DEFAULT_COPY, type CopyOptions } from '../apps/shared/store/insert-backends';
import type { Store } from '../apps/shared/store/store';
import { cpuDelta, cpuSnapshot, type CpuTargets } from './bench-pipeline-cpu';

const ROWS = Number(process.env.BENCH_ROWS ?? 30_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 2_000);
const CHUNK = Number(process.env.BENCH_CHUNK ?? INSERT_CHUNK_ROWS);
const BASELINE_ROWS = 5_000;

interface Variant {
  name: string;
  path: InsertPath;
  copy?: CopyOptions;
}

const ALL_VARIANTS: Variant[] = [
  { name: 'copy', path: 'copy' }, // DEFAULT_COPY
  { name: 'copy-text-direct', path: 'copy', copy: { format: 'text', direct: true } },
  { name: 'copy-binary-staged', path: 'copy', copy: { format: 'binary', direct: false } },
  { name: 'copy-text-staged', path: 'copy', copy: { format: 'text', direct: false } },
  { name: 'unnest', path: 'unnest' },
  { name: 'prisma', path: 'prisma' },
];
const VARIANTS = process.env.BENCH_VARIANTS
  ? ALL_VARIANTS.filter((v) => process.env.BENCH_VARIANTS!.split(',').includes(v.name))
  : ALL_VARIANTS;

function messages(n: number, tag: string): OutboundMessage[] {
  const gen = new MessageIdGenerator(tag);
  return Array.from({ length: n }, (_, i) => ({
    id: gen.next(),
    destination: `/topic/room.r${i % 1000}`,
    roomId: `r${i % 1000}`,
    senderId: `u${i % 500}`,
    nodeId: tag,
    sentAt: Date.now(),
    contentType: 'text/plain',
    headers: {},
    body: Buffer.from(`message ${i} `.padEnd(100, 'x')),
  }));
}

/** Batches of BATCH rows, each made of packs of 100 messages, as the writer builds them. */
function batches(msgs: OutboundMessage[]): PackedRows[] {
  const out: PackedRows[] = [];
  for (let i = 0; i < msgs.length; i += BATCH) {
    const rows = new PackedRows();
    const slice = msgs.slice(i, i + BATCH);
    for (let p = 0; p < slice.length; p += 100) {
      const ix = indexPack(encodePack(slice.slice(p, p + 100)));
      for (let k = 0; k < ix.count; k++) rows.add(ix, k);
    }
    out.push(rows);
  }
  return out;
}

interface Run {
  rate: number;
  cpuUs: number;
  dbUs: number;
}

async function batched(store: Store, tag: string, dbPid?: number): Promise<Run> {
  const input = batches(messages(ROWS, tag));
  const targets: CpuTargets = dbPid ? { db: { tree: dbPid } } : {};
  const db0 = cpuSnapshot(targets);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let inserted = 0;
  for (const b of input) inserted += (await store.insertBatch(b)).inserted;
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const db = cpuDelta(db0, cpuSnapshot(targets)).db ?? NaN;
  if (inserted !== ROWS) throw new Error(`inserted ${inserted} of ${ROWS}`);
  return { rate: ROWS / s, cpuUs: ((cpu.user + cpu.system) / ROWS), dbUs: (db * 1e6) / ROWS };
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

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Alternate rounds over the paths; per path the median round. */
async function compare(stores: Record<string, Store>, tag: string, dbPid?: number): Promise<Record<string, Run>> {
  // Node ids (message-id.ts) take letters, digits, '_' and '.': the variant's number stands in for its name.
  for (const [v, { name: p }] of VARIANTS.entries()) await batched(stores[p], `warm${tag}${v}`, dbPid); // connections, JIT, plans
  const runs: Record<string, Run[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [v, { name: p }] of VARIANTS.entries()) (runs[p] ??= []).push(await batched(stores[p], `${tag}${v}_${round}`, dbPid));
  }
  const out = {} as Record<string, Run>;
  for (const { name: p } of VARIANTS) {
    const rs = runs[p];
    out[p] = { rate: median(rs.map((r) => r.rate)), cpuUs: median(rs.map((r) => r.cpuUs)), dbUs: median(rs.map((r) => r.dbUs)) };
    console.log(`  ${p.padEnd(18)} rounds: ${rs.map((r) => fmt(r.rate)).join(', ')} rows/s`);
  }
  return out;
}

function table(name: string, res: Record<string, Run>, base: number): void {
  console.log(`\n| ${name} path | rows/s (median) | vs one INSERT per row | µs CPU per row, this process | µs CPU per row, database |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const { name: p } of VARIANTS) {
    const r = res[p];
    console.log(`| ${p} | ${fmt(r.rate)} | ${(r.rate / base).toFixed(1)}x | ${r.cpuUs.toFixed(1)} | ${Number.isFinite(r.dbUs) ? r.dbUs.toFixed(1) : 'in the worker'} |`);
  }
  console.log(`| one INSERT per row | ${fmt(base)} | 1.0x | | |`);
}

async function main(): Promise<void> {
  console.log(`insertBatch of ${BATCH} rows (packs of 100), ${CHUNK} rows per statement, ${ROWS} rows per path and round, ${ROUNDS} rounds`);
  console.log(`copy = the default: ${DEFAULT_COPY.format} data, ${DEFAULT_COPY.direct ? 'straight into messages (staging after a unique violation)' : 'through the staging table'}`);

  const svc = await startPostgres({ database: 'bench' });
  try {
    const stores: Record<string, Store> = {};
    for (const [i, v] of VARIANTS.entries()) {
      stores[v.name] = await openPostgresStore({ url: svc.url, insertPath: v.path, copy: v.copy, insertChunkRows: CHUNK, migrate: i === 0 });
    }
    console.log('postgres:');
    const res = await compare(stores, 'pg', svc.pid ?? undefined);
    const base = await perRowPostgres(svc.url, messages(BASELINE_ROWS, 'pgrow'));
    table('postgres', res, base);
    for (const s of Object.values(stores)) await s.close();
  } finally {
    await svc.stop();
  }

  if (process.env.BENCH_PGLITE === '0') return;
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-bench-pglite-'));
  try {
    const stores: Record<string, Store> = {};
    for (const { name: p, path, copy } of VARIANTS) {
      const t0 = performance.now();
      stores[p] = await openPgliteStore({ dataDir: join(dir, `pglite-${p}`), insertPath: path, copy, insertChunkRows: CHUNK });
      console.log(`pglite (${p}): opened in ${fmt(performance.now() - t0)} ms`);
    }
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    console.log('pglite (worker):');
    const res = await compare(stores, 'pgl');
    h.disable();
    const t0 = performance.now();
    const one = messages(1_000, 'pglrow');
    for (const m of one) await stores[VARIANTS[0].name].insertBatch([m]);
    const base = one.length / ((performance.now() - t0) / 1000);
    table('pglite (worker)', res, base);
    console.log(`pglite: main-thread event-loop delay during the batched runs: p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`);
    for (const s of Object.values(stores)) await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
