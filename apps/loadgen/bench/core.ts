/**
 * `npm run bench:core`: on loopback, against our broker started as a child process (its CPU
 * and RSS read from /proc/<pid>):
 *   (a) fan-out: 300 rooms × 6 subscribers, one sender each keeping 20 in flight, fixed time;
 *   (b) the same load against a raw `ws` server writing pre-encoded MESSAGE bytes (ceiling);
 *   (c) seed-003 (rooms of 6, one sender, 10 messages) at 2,000 and 10,000 users;
 *   (d) codec parse MB/s in process;
 *   (e) broker RSS per idle connection at 10,000 connections, then a probe further up to
 *       show how far past 10,000 one process goes under the open-files limit.
 * Prints one table with the load generator's CPU beside the broker's and the ratio (a)/(b).
 * Each server gets an unreported 2 s warm-up load first (both sides JIT-warm, as in service);
 * the load generator's worker threads persist across all runs. The idle part (e) is not warmed.
 * Options: --duration TIME (each (a)/(b) run, default 5s), --rounds N (default 3), --workers N, --probe N (0 = skip),
 * --quick (small sizes, for a smoke run), --json FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { defaultWorkers, parseDuration } from '../cli/options';
import { runLoad } from '../run/run-load';
import { progressSink } from '../run/progress';
import { fmt, type LoadReport } from '../stats/report';
import { startBrokerChild, startRawChild, type ChildService } from './child';
import { benchParse, type CodecResult } from './codec-bench';
import { machineLine, openFilesLimit } from './machine';
import { FANOUT_ARGS, idleArgs, loadOptions, seed003Args, WARMUP_ARGS } from './scenarios';
import { WorkerPool } from '../run/worker-pool';
import { renderTable } from './table';
import { waitForQuiet } from './quiet';
import { median, medianBy } from './median';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string' },
    probe: { type: 'string' },
    quick: { type: 'boolean', default: false },
    /** `fanout`: only (a) and (b), for comparing two builds of the broker back to back. */
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const quick = values.quick;
const durationMs = parseDuration('duration', values.duration!);
const rounds = Math.max(1, Number(values.rounds));
const workers = values.workers ?? String(defaultWorkers());
const fdLimit = openFilesLimit();
const idleUsers = quick ? 1_000 : 10_000;
const bigRooms = quick ? 1_200 : 10_000;
// Each side of a loopback connection is one file in its process; keep headroom for the rest.
const probeUsers = values.probe !== undefined ? Number(values.probe) : quick ? 0 : Math.min(19_900, fdLimit.soft - 100);
const common = ['--workers', workers, '--progress', 'lines', '--timeout', '240s'];

async function withChild<T>(start: () => Promise<ChildService>, fn: (c: ChildService) => Promise<T>): Promise<T> {
  const c = await start();
  try {
    return await fn(c);
  } finally {
    await c.stop();
  }
}

const pool = new WorkerPool(Math.max(1, Number(workers)));

async function run(args: string[], c: ChildService): Promise<LoadReport> {
  await waitForQuiet(c.pid);
  const o = loadOptions(args, [...common, '--url', c.url, '--broker-pid', String(c.pid)]);
  process.stderr.write(`\n== ${args.join(' ')} → ${c.name} ${c.url}\n`);
  return runLoad(o, { progress: progressSink(o), pool });
}

/** Start a service and give it the unreported warm-up load. */
async function startWarm(start: () => Promise<ChildService>): Promise<ChildService> {
  const c = await start();
  try {
    const w = await runLoad(loadOptions(WARMUP_ARGS, ['--workers', workers, '--url', c.url, '--timeout', '60s']), { pool });
    if (w.errorTotal > 0) process.stderr.write(`warning: warm-up against ${c.name} had errors: ${JSON.stringify(w.errors)}\n`);
  } catch (e) {
    await c.stop();
    throw e;
  }
  return c;
}
const warmBroker = () => startWarm(startBrokerChild);
const warmRaw = () => startWarm(startRawChild);

const fanout = (d: number) => [...FANOUT_ARGS, '--duration', `${d}ms`];
const ms = (x: number) => fmt(x, 1);
const errs = (r: LoadReport) => `${fmt(r.errorTotal)} / ${fmt(r.deliveries.lost)}${r.deliveries.duplicated || r.deliveries.outOfOrder ? ` (dup ${r.deliveries.duplicated}, ooo ${r.deliveries.outOfOrder})` : ''}`;
const cpuCell = (r: LoadReport) =>
  r.cpu.brokerMs === undefined ? '-' : `${fmt(r.cpu.brokerUsPerDelivery, 2)} µs/del, ${fmt(r.cpu.brokerCores, 2)} cores`;
const waitCell = (r: LoadReport) =>
  r.cpu.brokerWaitMs === undefined ? '-' : `${fmt(r.cpu.brokerWaitMs, 0)} / ${fmt(r.cpu.loadgenWaitMs, 0)} of ${fmt(r.runMs, 0)}`;
const lgCell = (r: LoadReport) => `${fmt(r.cpu.loadgenCores, 2)} cores${r.cpu.loadgenMs && r.deliveries.received ? `, ${fmt((r.cpu.loadgenMs * 1000) / r.deliveries.received, 2)} µs/del` : ''}`;

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machineLine();
  process.stderr.write(`bench:core on ${machineLine()}\n`);
  // (a) and (b) alternate over several rounds with both servers up, so a burst of other load
  // on the machine hits both sides; the figures are the median round, the ratio the median
  // of the per-round ratios.
  const broker = await warmBroker();
  const raw = await warmRaw().catch(async (e) => {
    await broker.stop();
    throw e;
  });
  const as: LoadReport[] = [];
  const bs: LoadReport[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      as.push(await run(fanout(durationMs), broker));
      bs.push(await run(fanout(durationMs), raw));
    }
  } finally {
    await Promise.all([broker.stop(), raw.stop()]);
  }
  const a = medianBy(as, (r) => r.deliveries.perSec);
  const b = medianBy(bs, (r) => r.deliveries.perSec);
  const ratios = as.map((r, i) => (bs[i].deliveries.perSec > 0 ? r.deliveries.perSec / bs[i].deliveries.perSec : NaN));
  const ratio = median(ratios);
  if (values.only === 'fanout') return printFanout(atStart, started, as, bs, a, b, ratios, ratio);
  const [c2k, c10k] = await withChild(warmBroker, async (c) => [await run(seed003Args(quick ? 600 : 2_000), c), await run(seed003Args(bigRooms), c)]);
  const codec: CodecResult[] = [benchParse(100), benchParse(4096)];
  const [idle, probe] = await withChild(startBrokerChild, async (c) => [
    await run(idleArgs(idleUsers), c),
    probeUsers > 0 ? await run([...idleArgs(probeUsers), '--duration', '2s'], c) : null,
  ]);

  const header = ['part', 'result', 'latency p50 / p99 ms', 'broker CPU', 'load generator CPU', 'waited ms (broker / lg of run)', 'errors / lost', 'goal'];
  const rows: string[][] = [
    ['(a) fan-out via broker, 300 rooms × 6, 20 in flight', `${fmt(a.deliveries.perSec, 0)} deliveries/s`, `${ms(a.latencyMs.p50)} / ${ms(a.latencyMs.p99)}`, cpuCell(a), lgCell(a), waitCell(a), errs(a), '≥ 100,000/s at ≤ 10 µs/delivery'],
    ['(b) same load, raw ws pre-encoded fan-out', `${fmt(b.deliveries.perSec, 0)} deliveries/s`, `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)}`, cpuCell(b), lgCell(b), waitCell(b), errs(b), 'ceiling'],
    ['    ratio (a)/(b)', fmt(ratio, 2), '', '', '', '', '', '≥ 0.7'],
    [`(c) seed-003, ${fmt(c2k.users)} users`, `${fmt(c2k.deliveries.unique)} of ${fmt(c2k.deliveries.planned)} delivered`, `${ms(c2k.latencyMs.p50)} / ${ms(c2k.latencyMs.p99)}`, cpuCell(c2k), lgCell(c2k), waitCell(c2k), errs(c2k), 'p99 ≤ 150 ms at 2,000'],
    [`(c) seed-003, ${fmt(c10k.users)} users`, `${fmt(c10k.deliveries.unique)} of ${fmt(c10k.deliveries.planned)} delivered`, `${ms(c10k.latencyMs.p50)} / ${ms(c10k.latencyMs.p99)}`, cpuCell(c10k), lgCell(c10k), waitCell(c10k), errs(c10k), 'no error or loss at 10,000'],
    ...codec.map((r) => [`(d) codec parse, ${fmt(r.bodyBytes)} B bodies (${r.frameBytes} B frames)`, `${fmt(r.mbPerSec, 0)} MB/s`, `${fmt(r.framesPerSec, 0)} frames/s`, '', '', '', '', '']),
    [
      `(e) idle, ${fmt(idle.users)} connections`,
      `${fmt(idle.memory.brokerKiBPerConnection, 1)} KiB/connection`,
      '',
      `RSS ${fmt((idle.memory.brokerRssBeforeKiB ?? NaN) / 1024, 0)} → ${fmt((idle.memory.brokerRssAfterKiB ?? NaN) / 1024, 0)} MiB`,
      `connect p99 ${ms(idle.connectMs.p99)} ms`,
      '',
      `${fmt(idle.errorTotal)} / -`,
      '≤ 20 KiB',
    ],
  ];
  if (probe) {
    rows.push([
      `    probe: ${fmt(probe.users)} idle connections`,
      `${fmt(probe.connected)} connected`,
      '',
      `RSS → ${fmt((probe.memory.brokerRssAfterKiB ?? NaN) / 1024, 0)} MiB, ${fmt(probe.memory.brokerFds)} fds`,
      `connect p99 ${ms(probe.connectMs.p99)} ms`,
      '',
      `${fmt(probe.errorTotal)} / -`,
      `open files ${fdLimit.soft}/process`,
    ]);
  }
  const out = [
    '',
    `bench:core — ${atStart}; at the end: load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; load generator: ${workers} worker thread(s); ${((Date.now() - started) / 1000).toFixed(0)} s`,
    renderTable(header, rows),
    '',
    `(a)/(b): median of ${rounds} alternating rounds of ${fmt(durationMs / 1000)} s. Deliveries/s per round: (a) ${as.map((r) => fmt(r.deliveries.perSec, 0)).join(', ')}; (b) ${bs.map((r) => fmt(r.deliveries.perSec, 0)).join(', ')}; ratios ${ratios.map((x) => fmt(x, 2)).join(', ')}.`,
    'Load generator CPU is shown beside the broker\'s: both share this machine\'s cores. "waited" is time the broker / load generator was runnable but got no core (other work on the machine): when it is a large share of the run, the row measures the machine, not the broker.',
    'Each server got an unreported 2 s warm-up load first; (e) is not warmed.',
    probe
      ? `Past 10,000: ${fmt(probe.connected)} of ${fmt(probe.users)} idle connections held in one broker process (open-files limit ${fdLimit.soft} per process; each side of a loopback connection holds one file, so one broker or one load-generator process tops out just under ${fdLimit.soft}).`
      : '',
  ].join('\n');
  process.stdout.write(`${out}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine: atStart, rounds: { a: as, b: bs, ratios }, a, b, ratio, c2k, c10k, codec, idle, probe }, null, 2));
}

function printFanout(atStart: string, started: number, as: LoadReport[], bs: LoadReport[], a: LoadReport, b: LoadReport, ratios: number[], ratio: number): void {
  const header = ['part', 'result', 'latency p50 / p99 ms', 'broker CPU', 'load generator CPU', 'waited ms (broker / lg of run)', 'errors / lost'];
  const rows = [
    ['(a) fan-out via broker, 300 rooms × 6, 20 in flight', `${fmt(a.deliveries.perSec, 0)} deliveries/s`, `${ms(a.latencyMs.p50)} / ${ms(a.latencyMs.p99)}`, cpuCell(a), lgCell(a), waitCell(a), errs(a)],
    ['(b) same load, raw ws pre-encoded fan-out', `${fmt(b.deliveries.perSec, 0)} deliveries/s`, `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)}`, cpuCell(b), lgCell(b), waitCell(b), errs(b)],
    ['    ratio (a)/(b)', fmt(ratio, 2), '', '', '', '', ''],
  ];
  process.stdout.write(
    [
      '',
      `bench:core --only fanout — ${atStart}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
      renderTable(header, rows),
      `per round: (a) ${as.map((r) => fmt(r.deliveries.perSec, 0)).join(', ')} deliveries/s at ${as.map((r) => fmt(r.cpu.brokerUsPerDelivery, 2)).join(', ')} µs/delivery; (b) ${bs.map((r) => fmt(r.deliveries.perSec, 0)).join(', ')}; ratios ${ratios.map((x) => fmt(x, 2)).join(', ')}`,
      '',
    ].join('\n'),
  );
}

main().then(
  async () => {
    await pool.close();
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(`bench:core failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
