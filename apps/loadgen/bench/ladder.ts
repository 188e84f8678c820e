/**
 * `npm run bench`: starts stompbox on the embedded default as a child process, runs the
 * seed-003 ladder (rooms of 6, one sender, 10 messages at 30, 100, 1,000,
 * 2,000 and 10,000 users) and a throughput run (300 rooms × 6, 20 in flight), and prints
 * one table. `--against URL` runs the identical load against another broker in the same run
 * and prints both side by side with ratios; `--against rabbitmq` starts a private RabbitMQ
 * with Web-STOMP from Debian's package for that (temp dir, free ports, stopped after).
 *
 * Each broker first gets an unreported 2 s warm-up load; the load generator's worker
 * threads persist across runs.
 *
 * Options: --against URL|rabbitmq, --against-login, --against-passcode, --against-host,
 * --against-destination TEMPLATE, --against-pid PID (CPU/RSS of the other broker),
 * --rungs 30,100,…, --duration TIME (throughput), --workers N, --json FILE.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { defaultWorkers, parseDuration } from '../cli/options';
import { runLoad } from '../run/run-load';
import { progressSink } from '../run/progress';
import { fmt, type LoadReport } from '../stats/report';
import { startEmbeddedChild } from './child';
import { machineLine } from './machine';
import { FANOUT_ARGS, loadOptions, seed003Args, WARMUP_ARGS } from './scenarios';
import { WorkerPool } from '../run/worker-pool';
import { renderTable } from './table';
import { waitForQuiet } from './quiet';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    'against-login': { type: 'string' },
    'against-passcode': { type: 'string' },
    'against-host': { type: 'string' },
    'against-destination': { type: 'string' },
    'against-pid': { type: 'string' },
    rungs: { type: 'string', default: '30,100,1000,2000,10000' },
    duration: { type: 'string', default: '10s' },
    workers: { type: 'string' },
    json: { type: 'string' },
  },
});

interface Target {
  name: string;
  url: string;
  pid?: number;
  extra: string[];
  stop(): Promise<void>;
}

const rungs = values.rungs!.split(',').map((x) => Number(x.trim()));
if (rungs.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--rungs: whole numbers, comma separated: "${values.rungs}"`);
const durationMs = parseDuration('duration', values.duration!);
const workers = values.workers ?? String(defaultWorkers());
const common = ['--workers', workers, '--progress', 'lines', '--timeout', '240s'];

async function ours(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-bench-'));
  const c = await startEmbeddedChild(dir);
  return {
    name: c.name,
    url: c.url,
    pid: c.pid,
    extra: ['--login', 'user{user}'],
    stop: async () => {
      await c.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function other(spec: string): Promise<Target> {
  const extra: string[] = [];
  const add = (flag: string, v: string | undefined) => v !== undefined && extra.push(flag, v);
  if (spec === 'rabbitmq') {
    const { startRabbitMQ } = await import('../../shared/testing/services/rabbitmq');
    const rabbit = await startRabbitMQ({ plugins: ['rabbitmq_web_stomp'] });
    add('--login', values['against-login'] ?? 'guest');
    add('--passcode', values['against-passcode'] ?? 'guest');
    add('--host', values['against-host']);
    add('--destination', values['against-destination']);
    return { name: 'RabbitMQ Web-STOMP', url: rabbit.webStompUrl!, pid: rabbit.pid ?? undefined, extra, stop: () => rabbit.stop() };
  }
  add('--login', values['against-login']);
  add('--passcode', values['against-passcode']);
  add('--host', values['against-host']);
  add('--destination', values['against-destination']);
  return { name: spec, url: spec, pid: values['against-pid'] ? Number(values['against-pid']) : undefined, extra, stop: async () => {} };
}

const pool = new WorkerPool(Math.max(1, Number(workers)));

function run(t: Target, args: string[], quiet = false): Promise<LoadReport> {
  const o = loadOptions(args, [...common, '--url', t.url, ...t.extra, ...(t.pid ? ['--broker-pid', String(t.pid)] : [])]);
  if (quiet) o.progress = 'none';
  else process.stderr.write(`\n== ${args.join(' ')} → ${t.name} ${t.url}\n`);
  return runLoad(o, { progress: progressSink(o), pool });
}

const LOADS: Array<{ label: string; args: string[] }> = [
  ...rungs.map((n) => ({ label: `seed-003, ${fmt(n)} users`, args: seed003Args(n) })),
  { label: `throughput, 300 rooms × 6, 20 in flight, ${fmt(durationMs / 1000)} s`, args: [...FANOUT_ARGS, '--duration', `${durationMs}ms`] },
];

async function runAll(t: Target): Promise<LoadReport[]> {
  const out: LoadReport[] = [];
  try {
    const w = await run(t, WARMUP_ARGS, true); // unreported: JIT-warm both sides
    if (w.errorTotal > 0) process.stderr.write(`warning: warm-up against ${t.name} had errors: ${JSON.stringify(w.errors)}\n`);
    for (const l of LOADS) {
      const waited = await waitForQuiet(t.pid);
      if (waited > 2_000) process.stderr.write(`(waited ${(waited / 1000).toFixed(1)} s for ${t.name} to finish the previous load)\n`);
      out.push(await run(t, l.args));
    }
  } finally {
    await t.stop();
  }
  return out;
}

const lat = (r: LoadReport) => `${fmt(r.latencyMs.p50)} / ${fmt(r.latencyMs.p99)}`;
const rate = (r: LoadReport) => fmt(r.deliveries.perSec, 0);
const bad = (r: LoadReport) => `${fmt(r.errorTotal)} / ${fmt(r.deliveries.lost)}${r.deliveries.duplicated + r.deliveries.outOfOrder ? ` / dup ${r.deliveries.duplicated} ooo ${r.deliveries.outOfOrder}` : ''}`;
const cpu = (r: LoadReport) => (r.cpu.brokerUsPerDelivery === undefined ? '-' : fmt(r.cpu.brokerUsPerDelivery, 1));
const conn = (r: LoadReport) => `${fmt(r.connectMs.p99)}`;
const lg = (r: LoadReport) => fmt(r.cpu.loadgenCores, 2);
const waited = (r: LoadReport) => (r.cpu.brokerWaitMs === undefined ? '-' : `${fmt(r.cpu.brokerWaitMs, 0)} / ${fmt(r.cpu.loadgenWaitMs, 0)} of ${fmt(r.runMs, 0)}`);
const bc = (r: LoadReport) => (r.cpu.brokerCores === undefined ? '-' : fmt(r.cpu.brokerCores, 2));
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${fmt(a / b, 2)}×` : '-');

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machineLine();
  process.stderr.write(`bench on ${machineLine()}\n`);
  const a = await ours();
  const aName = a.name;
  const mine = await runAll(a);
  let theirs: LoadReport[] | null = null;
  let bName = '';
  if (values.against) {
    const b = await other(values.against);
    bName = b.name;
    theirs = await runAll(b);
  }
  const header = ['load', 'p50 / p99 ms', 'deliveries/s', 'errors / lost', 'µs CPU/del', 'broker cores', 'load gen cores', 'waited ms (broker / lg of run)', 'connect p99 ms'];
  const rows = LOADS.map((l, i) => [l.label, lat(mine[i]), rate(mine[i]), bad(mine[i]), cpu(mine[i]), bc(mine[i]), lg(mine[i]), waited(mine[i]), conn(mine[i])]);
  let table: string;
  if (theirs) {
    const h2 = [
      'load',
      `${aName}: p50 / p99 ms`, 'deliveries/s', 'errors / lost', 'µs CPU/del', 'load gen cores',
      `${bName}: p50 / p99 ms`, 'deliveries/s', 'errors / lost', 'µs CPU/del', 'load gen cores',
      'p99 them/us', 'rate us/them',
    ];
    const rows2 = LOADS.map((l, i) => {
      const m = mine[i];
      const t = theirs![i];
      return [l.label, lat(m), rate(m), bad(m), cpu(m), lg(m), lat(t), rate(t), bad(t), cpu(t), lg(t), ratio(t.latencyMs.p99, m.latencyMs.p99), ratio(m.deliveries.perSec, t.deliveries.perSec)];
    });
    table = renderTable(h2, rows2);
  } else table = renderTable([`${header[0]} (${aName})`, ...header.slice(1)], rows);
  process.stdout.write(
    `\nbench — ${atStart}; at the end: load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; load generator: ${workers} worker thread(s); ${((Date.now() - started) / 1000).toFixed(0)} s\n` +
      `${table}\n` +
      'Latency is end to end (SEND timestamp in the body → MESSAGE arrival); seed-003 rows send all messages at once after every member has subscribed.\n' +
      '"waited": time the broker / load generator was runnable but got no core (other work on this machine).\n',
  );
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine: machineLine(), loads: LOADS, ours: { name: aName, reports: mine }, against: theirs && { name: bName, reports: theirs } }, null, 2));
}

main().then(
  async () => {
    await pool.close();
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(`bench failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
