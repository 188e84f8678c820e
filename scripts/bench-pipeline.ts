/**
 * `npm run bench:pipeline`: the persistence pipeline against real RabbitMQ, Redis and Postgres
 * started by the test harness (temp dirs, free ports, stopped at the end), and in the same run
 * the one-INSERT-per-message design as the baseline (called `seed003` here).
 *
 *   ours      broker-side AmqpOffload in this process (packs, confirms) → RabbitMQ → the
 *             consumer process (`dist/apps/consumer/main.js`, as `npm run consumer`) → Redis Stream → batched INSERT
 *   seed-003  one AMQP message per chat message (JSON, confirms) → a consumer process doing one
 *             awaited INSERT per message straight from the queue (scripts/bench-pipeline-seed003-consumer.ts)
 *
 * Phases: (1) burst: N messages as fast as the offload takes them → SENDs/s confirmed and
 * messages/s landed in Postgres (first SEND to last row); (2) paced at each of RATES msgs/s for
 * SECONDS → end-to-end lag p50/p99 (SEND accepted → row stored: created_at → stored_at,
 * stored_at being the insert transaction's time); (3) the baseline, burst of BASE_N; (4) the
 * embedded default (no AMQP_URL/REDIS_URL/DATABASE_URL: in-process queue and stream, PGlite in
 * a worker thread), burst of EMBEDDED_N, in this process, read as a live server is read (metrics).
 * The burst runs per insert path (BENCH_PATHS) and per consumer (BENCH_CONSUMERS: `storage` = the
 * storage path alone, push and insights off in the consumer and no push queue; `full` = the
 * consumer as configured, push and insights on by default), a fresh consumer process each, so
 * they are compared in the same run on the same services; BENCH_REPEAT bursts each, reported
 * singly and as the median. Progress is read from the consumer's inserted-rows counter
 * (/metrics), not by counting rows: a count(*) every 20 ms is a scan of the whole table that
 * took a large share of Postgres's CPU during the burst. One count at the end confirms.
 * Options (env): BENCH_N (200000), BENCH_PATHS (copy), BENCH_CONSUMERS (storage,full), BENCH_REPEAT (1),
 * BENCH_RATES (20000,10000; empty skips the paced phases), BENCH_PACED_CONSUMER (full), BENCH_SECONDS (10),
 * BENCH_BASE_N (20000; 0 skips the baseline), BENCH_EMBEDDED_N (50000; 0 skips), BENCH_EMBEDDED_ALL=0 (only the
 * npm-start variant of the embedded phase), BENCH_ONLY=seed003 (only the baseline), BENCH_CPU_PROF=<dir> (V8 CPU
 * profiles of the consumers).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../apps/shared/config';
import { freePort, startPostgres, startRabbitMQ, startRedis, type ServiceHandle } from '../apps/shared/testing/services/index';
import { createAmqpOffload } from '../apps/shared/queue/amqp-offload';
import type { Offload } from '../apps/shared/queue/offload';
import { burst } from '../apps/shared/testing/send-loop';
import { packingFrom, topologyFrom } from '../apps/shared/queue/queue-options';
import { startPipeline } from '../apps/all-in-one/pipeline';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv, migrate } from '../apps/shared/testing/pipeline-env';
import { messageFactory } from '../apps/shared/testing/messages';
import { sleep } from '../apps/shared/sleep';
import { cpuDelta, cpuSnapshot, type CpuTargets } from './bench-pipeline-cpu';

const N = Number(process.env.BENCH_N ?? 200_000);
/** Paced rates (msgs/s), comma-separated: the goal's rate, and one below the box's capacity. */
const RATES = (process.env.BENCH_RATES ?? '20000,10000').split(',').filter((x) => x.trim() !== '').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BASE_N = Number(process.env.BENCH_BASE_N ?? 20_000);
const EMBEDDED_N = Number(process.env.BENCH_EMBEDDED_N ?? 50_000);
/** Insert paths (STORE_INSERT_PATH) to compare in the burst; the first also runs the paced phases. */
const PATHS = (process.env.BENCH_PATHS ?? 'copy').split(',');
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
/** Consumers to compare: the storage path alone, and the consumer as configured. */
const CONSUMER_ENVS: Record<string, Record<string, string>> = {
  storage: { AMQP_PUSH_ENABLED: 'false', INSIGHTS_ENABLED: 'false' },
  full: {},
};
const CONSUMERS = (process.env.BENCH_CONSUMERS ?? 'storage,full').split(',');
for (const c of CONSUMERS) if (!(c in CONSUMER_ENVS)) throw new Error(`BENCH_CONSUMERS: unknown consumer ${c} (${Object.keys(CONSUMER_ENVS).join(', ')})`);
const PACED_CONSUMER = process.env.BENCH_PACED_CONSUMER ?? (CONSUMERS.includes('full') ? 'full' : CONSUMERS[0]);
/** The 1-minute load average (runnable processes; this box has 2 cores), to read each figure against. */
const load = () => loadavg()[0].toFixed(1);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const logger = pino({ level: 'warn' });

let db: pg.Client;
/** Transactions the database has finished (pg_stat_database; its counters lag up to ~1 s behind). */
async function transactions(): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.rows[0].n);
}
async function count(nodeId: string): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE node_id = $1', [nodeId]);
  return Number(r.rows[0].n);
}

/** Wait until `target` rows of `nodeId` exist; returns the time the last one was seen (ms). */
async function waitRows(nodeId: string, target: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await count(nodeId);
    if (n >= target) return Date.now();
    if (Date.now() > end) throw new Error(`only ${n}/${target} rows of ${nodeId} after ${timeoutMs} ms`);
    await sleep(20);
  }
}


function spawnLogged(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of each child (open in Chrome DevTools).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return spawn(process.execPath, [...prof, '--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A compiled entry (`npm run build` first, as `npm run consumer` does): no tsx loader in the measured process. */
function spawnCompiled(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return spawn(process.execPath, [...prof, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * Publish at `rate` msgs/s for `seconds` (10 ms ticks; each message stamped when handed to the
 * offload, like the broker does), wait until all landed, and read the lag from the rows.
 */
async function paced(offload: Offload, nodeId: string, rate: number, seconds: number, landed: (n: number) => Promise<number>) {
  const make = messageFactory(nodeId, 1_000);
  const perTick = Math.max(1, Math.round(rate / 100));
  const total = rate * seconds;
  const confirms: Promise<void>[] = [];
  let sent = 0;
  let refused = 0;
  const start = Date.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + perTick);
    while (sent < due) {
      const m = make();
      sent++;
      try {
        confirms.push(offload.publish(m));
      } catch {
        refused++;
      }
    }
    await sleep(10);
  }
  const pacedSeconds = (Date.now() - start) / 1000;
  await Promise.all(confirms);
  await landed(total - refused);
  await waitRows(nodeId, total - refused, 10_000);
  const lag = await db.query<{ p50: number; p99: number; max: number }>(
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY l) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY l) AS p99, max(l) AS max
       FROM (SELECT extract(epoch FROM stored_at - created_at) * 1000 AS l FROM messages WHERE node_id = $1) x`,
    [nodeId],
  );
  return { target: rate, rate: total / pacedSeconds, refused, p50: Number(lag.rows[0].p50), p99: Number(lag.rows[0].p99), max: Number(lag.rows[0].max) };
}

interface Burst {
  publishRate: number;
  landRate: number;
  /** Database transactions per 1,000 messages during the burst (inserts, and whatever else the consumer asks). */
  txPer1k: number;
  load0: string;
  load1: string;
  where: {
    seconds: number; publisherCpu: number; consumerCpu: number; insertSeconds: number; inserts: number; rowsPerInsert: number;
    perProcess: Record<string, number>;
  };
}

async function ours(rabbit: ServiceHandle, redis: ServiceHandle, postgres: ServiceHandle, path: string, kind: string, withPaced: boolean) {
  const names = isolatedEnv(`bench${path}${kind}`);
  const own = CONSUMER_ENVS[kind];
  const cfg = loadConfig({ AMQP_URL: rabbit.url, REDIS_URL: redis.url, DATABASE_URL: postgres.url, ...names, ...own });
  const metricsPort = await freePort();
  // As `npm run consumer` runs it: the compiled bundle, a larger young generation (fewer
  // promotions of in-flight batches).
  const consumer = spawnCompiled(['--enable-source-maps', '--max-semi-space-size=64', 'dist/apps/consumer/main.js'], {
    ...process.env, AMQP_URL: rabbit.url, REDIS_URL: redis.url, DATABASE_URL: postgres.url,
    CONSUMER_PORT: String(metricsPort), CONSUMER_HOST: '127.0.0.1', LOG_LEVEL: 'warn', STORE_INSERT_PATH: path, ...names, ...own,
  });
  const consumerMetrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const v = (name: string) => Number(text.split('\n').find((l) => l.startsWith(name + ' '))?.split(' ')[1] ?? NaN);
    return {
      insertSeconds: v('stompbox_db_insert_batch_seconds_sum{store="postgres"}'),
      inserts: v('stompbox_consumer_batch_rows_count'),
      rows: v('stompbox_consumer_batch_rows_sum'),
      cpuSeconds: v('process_cpu_seconds_total'),
      inserted: v('stompbox_db_insert_rows_total{store="postgres",outcome="inserted"}'),
    };
  };
  /** Wait until the consumer has inserted `n` more rows than `base`; the time it saw them (ms). */
  const waitInserted = async (base: number, n: number, timeoutMs: number): Promise<number> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = (await consumerMetrics()).inserted - base;
      if (got >= n) return Date.now();
      if (Date.now() > end) throw new Error(`only ${got}/${n} rows inserted after ${timeoutMs} ms`);
      await sleep(25);
    }
  };
  const offload = createAmqpOffload({ ...packingFrom(cfg), url: rabbit.url, topology: topologyFrom(cfg), maxInflightPacks: cfg.OFFLOAD_MAX_INFLIGHT_PACKS }, logger, new Registry());
  await offload.start();
  try {
    // Warm-up (JIT, connections, first batches).
    const warm = messageFactory(`warm_${path}_${kind}`);
    await burst(offload, Array.from({ length: 5_000 }, () => warm()));
    await waitRows(`warm_${path}_${kind}`, 5_000, 60_000);

    const bursts: Burst[] = [];
    for (let rep = 0; rep < REPEAT; rep++) {
      const node = `burst_${path}_${kind}_${rep}`;
      const make = messageFactory(node, 1_000);
      const msgs = Array.from({ length: N }, () => make());
      const before = await consumerMetrics();
      const targets: CpuTargets = {
        publisher: { pid: process.pid }, consumer: { pid: consumer.pid }, rabbitmq: { tree: rabbit.pid ?? undefined },
        redis: { tree: redis.pid ?? undefined }, postgres: { tree: postgres.pid ?? undefined },
      };
      const load0 = load();
      const tx0 = await transactions();
      const procCpu0 = cpuSnapshot(targets);
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      for (const m of msgs) m.sentAt = t0;
      await burst(offload, msgs);
      const tConfirmed = Date.now();
      const tLanded = await waitInserted(before.inserted, N, 180_000);
      const cpu = process.cpuUsage(cpu0);
      const perProcess = cpuDelta(procCpu0, cpuSnapshot(targets));
      const after = await consumerMetrics();
      await waitRows(node, N, 10_000); // the counter agrees with the table
      await sleep(1_100); // statistics reach pg_stat_database within a second
      const txPer1k = ((await transactions()) - tx0 - 3) / (N / 1000); // less this function's own queries
      bursts.push({
        publishRate: N / ((tConfirmed - t0) / 1000),
        landRate: N / ((tLanded - t0) / 1000),
        txPer1k,
        load0,
        load1: load(),
        where: {
          seconds: (tLanded - t0) / 1000,
          publisherCpu: (cpu.user + cpu.system) / 1e6,
          consumerCpu: after.cpuSeconds - before.cpuSeconds,
          insertSeconds: after.insertSeconds - before.insertSeconds,
          inserts: after.inserts - before.inserts,
          rowsPerInsert: (after.rows - before.rows) / Math.max(1, after.inserts - before.inserts),
          perProcess,
        },
      });
    }

    const pacedRuns = [];
    if (withPaced) {
      for (const [i, rate] of RATES.entries()) {
        const base = (await consumerMetrics()).inserted;
        const load0 = load();
        const r = await paced(offload, `pace${i}_${kind}`, rate, SECONDS, (n) => waitInserted(base, n, 180_000));
        pacedRuns.push({ ...r, load0, load1: load() });
      }
    }
    return { bursts, paced: pacedRuns };
  } finally {
    await offload.close();
    await stopChild(consumer);
  }
}

async function seed003(rabbit: ServiceHandle, postgres: ServiceHandle) {
  const queue = 'bench.seed003';
  const conn = await amqp.connect(rabbit.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const consumer = spawnLogged(['scripts/bench-pipeline-seed003-consumer.ts', rabbit.url, queue, postgres.url, '250'], process.env);
  try {
    const make = messageFactory('seed', 1_000);
    const msgs = Array.from({ length: BASE_N }, () => make());
    const t0 = Date.now();
    // One AMQP message per chat message, persistent, up to 1,000 confirms in flight.
    let inflight = 0;
    let waiters: Array<() => void> = [];
    const done: Promise<void>[] = [];
    for (const m of msgs) {
      m.sentAt = t0;
      while (inflight >= 1_000) await new Promise<void>((r) => waiters.push(r));
      inflight++;
      const body = Buffer.from(JSON.stringify({ ...m, body: m.body.toString() }));
      done.push(
        new Promise<void>((res, rej) =>
          ch.sendToQueue(queue, body, { persistent: true, messageId: m.id }, (err) => {
            inflight--;
            const ws = waiters;
            waiters = [];
            for (const w of ws) w();
            if (err) rej(err);
            else res();
          }),
        ),
      );
    }
    await Promise.all(done);
    const tConfirmed = Date.now();
    const tLanded = await waitRows('seed', BASE_N, 300_000);
    return { publishRate: BASE_N / ((tConfirmed - t0) / 1000), landRate: BASE_N / ((tLanded - t0) / 1000) };
  } finally {
    await stopChild(consumer);
    await conn.close().catch(() => undefined);
  }
}

/** Rows the store inserted, as /metrics reports them (the same counter a live `npm start` exposes). */
async function insertedRows(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric('stompbox_db_insert_rows_total')?.get();
  return m?.values.filter((v) => v.labels.outcome === 'inserted').reduce((n, v) => n + v.value, 0) ?? 0;
}

/**
 * The embedded default's persist rate: everything in this process, PGlite on a temp dir,
 * configured as `npm start` is. Progress is read from the inserted-rows counter, as one reads a
 * live server's /metrics; `poll: 'count'` instead polls countMessages() every 20 ms on the
 * embedded database itself (how this phase measured before), to show what that costs.
 */
async function embedded(opts: { firstUse: boolean; poll: 'metric' | 'count' }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-bench-embedded-'));
  try {
    const registry = new Registry();
    const config = loadConfig({ DATA_DIR: dataDir, CREATE_ON_FIRST_USE: String(opts.firstUse) });
    const p = await startPipeline({ config, logger, registry });
    const landed = () => (opts.poll === 'count' ? p.store.countMessages() : insertedRows(registry));
    try {
      const warm = messageFactory('ewarm', 100);
      await burst(p.offload, Array.from({ length: 2_000 }, () => warm()));
      const make = messageFactory('emb', 1_000);
      const msgs = Array.from({ length: EMBEDDED_N }, () => make());
      while ((await landed()) < 2_000) await sleep(20);
      const base = await landed();
      const t0 = Date.now();
      await burst(p.offload, msgs);
      const tConfirmed = Date.now();
      while ((await landed()) < base + EMBEDDED_N) await sleep(20);
      const t1 = Date.now();
      return { acceptRate: EMBEDDED_N / ((tConfirmed - t0) / 1000), landRate: EMBEDDED_N / ((t1 - t0) / 1000) };
    } finally {
      await p.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The embedded default as `npm start` runs it, then with first-use off, then polling countMessages (the old measurement). */
async function embeddedPhase(f: (x: number) => string): Promise<void> {
  const variants = [
    { label: 'as npm start (first-use on), progress from the inserted-rows metric', firstUse: true, poll: 'metric' as const },
    { label: 'first-use off, progress from the metric', firstUse: false, poll: 'metric' as const },
    { label: 'first-use on, progress from countMessages() every 20 ms', firstUse: true, poll: 'count' as const },
  ];
  console.log(`\nembedded default (in-process queue + stream, PGlite in a worker), burst of ${EMBEDDED_N} over 1,000 rooms and 7 senders:`);
  for (const v of variants.slice(0, process.env.BENCH_EMBEDDED_ALL === '0' ? 1 : 3)) {
    const e = await embedded(v);
    console.log(`  ${v.label}: ${f(e.acceptRate)} msgs/s accepted (a RECEIPT waits for the commit), ${f(e.landRate)} msgs/s persisted`);
  }
}

async function main() {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`bench:pipeline — starting RabbitMQ, Redis, Postgres (harness, temp dirs)…`);
  const [rabbit, redis, postgres] = await Promise.all([startRabbitMQ(), startRedis({ appendfsync: 'everysec' }), startPostgres()]);
  try {
    await migrate(postgres.url);
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    if (process.env.BENCH_ONLY === 'seed003') {
      const b = await seed003(rabbit, postgres);
      console.log(`seed-003 only: ${Math.round(b.publishRate)} SENDs/s confirmed, ${Math.round(b.landRate)} msgs/s landed`);
      return;
    }
    console.log(`ours: burst of ${N} × ${REPEAT} for each insert path (${PATHS.join(', ')}) and consumer (${CONSUMERS.join(', ')}), ` +
      (RATES.length ? `then ${RATES.join(' and ')} msgs/s for ${SECONDS} s each with ${PATHS[0]} and the ${PACED_CONSUMER} consumer…` : 'no paced phases…'));
    const runs: Array<{ path: string; kind: string; r: Awaited<ReturnType<typeof ours>> }> = [];
    for (const [i, path] of PATHS.entries()) {
      for (const kind of CONSUMERS) runs.push({ path, kind, r: await ours(rabbit, redis, postgres, path, kind, i === 0 && kind === PACED_CONSUMER) });
    }
    let b: { publishRate: number; landRate: number } | null = null;
    if (BASE_N > 0) {
      console.log(`seed-003 baseline: burst of ${BASE_N}…`);
      b = await seed003(rabbit, postgres);
    }
    const f = (x: number) => Math.round(x).toLocaleString('en-US');
    const us = (s: number) => ((s / N) * 1e6).toFixed(1);
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[(xs.length - 1) >> 1];
    const total = (p: Record<string, number>) => Object.values(p).reduce((x, y) => x + y, 0);
    const label = (path: string, kind: string) => `stompbox ${path}, ${kind === 'storage' ? 'storage path alone (push, insights off)' : `${kind} consumer`}`;
    console.log('\n| pipeline | burst | load avg (1 min) | SENDs/s confirmed | msgs/s landed in Postgres | ratio to seed-003 | µs CPU per message: consumer | Postgres | Redis | RabbitMQ | all processes | Postgres transactions per 1k msgs |');
    console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const ratio = (x: number) => (b ? `${(x / b.landRate).toFixed(1)}x` : '');
    for (const { path, kind, r } of runs) {
      const rows = r.bursts.map((x, i) => ({ name: `${i + 1}`, load: `${x.load0}→${x.load1}`, publish: x.publishRate, land: x.landRate, tx: x.txPer1k, p: x.where.perProcess as Record<string, number> }));
      if (rows.length > 1) {
        const pick = (k: string) => med(r.bursts.map((x) => x.where.perProcess[k]));
        rows.push({
          name: 'median', load: '', publish: med(r.bursts.map((x) => x.publishRate)), land: med(r.bursts.map((x) => x.landRate)), tx: med(r.bursts.map((x) => x.txPer1k)),
          p: { consumer: pick('consumer'), postgres: pick('postgres'), redis: pick('redis'), rabbitmq: pick('rabbitmq'), all: med(r.bursts.map((x) => total(x.where.perProcess))) },
        });
      }
      for (const x of rows) {
        console.log(`| ${label(path, kind)} | ${x.name} | ${x.load} | ${f(x.publish)} | ${f(x.land)} | ${ratio(x.land)} | ` +
          `${us(x.p.consumer)} | ${us(x.p.postgres)} | ${us(x.p.redis)} | ${us(x.p.rabbitmq)} | ${us(x.p.all ?? total(x.p))} | ${x.tx.toFixed(1)} |`);
      }
    }
    if (b) console.log(`| seed-003 (1 AMQP msg each → 1 INSERT each) | | | ${f(b.publishRate)} | ${f(b.landRate)} | 1.0x | | | | | | |`);
    for (const { path, kind, r } of runs) {
      const w = r.bursts[r.bursts.length >> 1].where;
      console.log(`\n${label(path, kind)}, burst ${(r.bursts.length >> 1) + 1}: ${w.seconds.toFixed(1)} s; ${w.inserts} batch inserts of ${Math.round(w.rowsPerInsert)} rows took ${w.insertSeconds.toFixed(1)} s in total (writers run concurrently); ` +
        `CPU seconds (2 cores = ${(2 * w.seconds).toFixed(1)} s available, shared with whatever else runs): ` +
        Object.entries(w.perProcess).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') + `; in total ${total(w.perProcess).toFixed(1)} s`);
    }
    const withPaced = runs.find((x) => x.r.paced.length > 0);
    for (const r of withPaced?.r.paced ?? []) {
      console.log(`paced at ${f(r.rate)} msgs/s for ${SECONDS} s, ${label(withPaced!.path, withPaced!.kind)} (refused ${r.refused}, load ${r.load0}→${r.load1}): ` +
        `end-to-end lag p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`);
    }
    const best = Math.max(...runs.map((x) => med(x.r.bursts.map((y) => y.landRate))));
    const atGoal = withPaced?.r.paced[0];
    const goals: Array<[string, boolean]> = [[`>= 60,000 msgs/s landed in Postgres (best median ${f(best)})`, best >= 60_000]];
    if (b) goals.push([`ratio >= 10x`, best / b.landRate >= 10]);
    if (atGoal) goals.push([`lag p99 < 1 s at ${f(atGoal.rate)}/s`, atGoal.p99 < 1_000]);
    for (const [g, ok] of goals) console.log(`${ok ? 'met ' : 'MISSED'}  ${g}`);
    if (EMBEDDED_N > 0) await embeddedPhase(f);
  } finally {
    await db?.end().catch(() => undefined);
    await Promise.all([rabbit.stop(), redis.stop(), postgres.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
