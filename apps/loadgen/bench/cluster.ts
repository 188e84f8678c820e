/**
 * `npm run bench:cluster`: one broker node versus two (BROKER_PROCESSES=2, one port) on this
 * machine, same load, same run, alternating rounds. Both run `npm run broker`'s code as child
 * processes with RabbitMQ (live fan-out between nodes and the persist path) and Postgres (the
 * store every process opens), both started here on free ports.
 *   (a) fan-out, 300 rooms × 6 (bench:core's load): deliveries/s, latency p50/p99, CPU of each
 *       node process, RabbitMQ and the load generator;
 *   (b) RabbitMQ traffic per delivered message: AMQP messages routed through the node exchange
 *       (interest-based: each pack goes only to nodes bound to its room) against binding every
 *       node to every room (each pack to every node);
 *   (c) latency added by crossing nodes: a sender on node A, subscribers on A and B, idle and
 *       under a background load at half the two-node capacity.
 * Options: --duration TIME (each (a) run, default 5s), --rounds N (default 2), --workers N,
 * --probe N (latency messages, default 2000), --json FILE, --only latency ((c) alone: two nodes,
 * `--rounds` runs of (a) on them for the capacity, or none with --capacity DELIVERIES_PER_S).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultWorkers, parseDuration } from '../cli/options';
import { runLoad } from '../run/run-load';
import { sampleProcTree, sampleProc } from '../run/proc-stats';
import { fmt, type LoadReport } from '../stats/report';
import { WorkerPool } from '../run/worker-pool';
import { startPostgres, startRabbitMQ } from '../../shared/testing/services/index';
import { sleep } from '../../shared/sleep';
import { startChild, type ChildService } from './child';
import { machineLine } from './machine';
import { FANOUT_ARGS, WARMUP_ARGS, loadOptions } from './scenarios';
import { renderTable } from './table';
import { childrenOf } from './process-children';
import { waitForQuiet } from './quiet';
import { bucketPercentile, bucketsOf, diffCounters, scrapeNodeTexts, scrapeNodes } from './cluster-scrape';
import { crossNodeLatency, percentile, placedRooms, type LatencySamples } from './cluster-probe';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rounds: { type: 'string', default: '2' },
    workers: { type: 'string' },
    probe: { type: 'string', default: '2000' },
    json: { type: 'string' },
    only: { type: 'string' },
    capacity: { type: 'string' },
  },
});
if (values.only !== undefined && values.only !== 'latency') throw new Error('--only takes "latency"');
const latencyOnly = values.only === 'latency';
const durationMs = parseDuration('duration', values.duration!);
const rounds = Math.max(1, Number(values.rounds));
const workers = values.workers ?? String(defaultWorkers());
const probeCount = Number(values.probe);
const pool = new WorkerPool(Math.max(1, Number(workers)));
const EXCHANGE = 'stompbox.nodes';


interface Setup {
  name: string;
  processes: number;
  child: ChildService;
  nodeIds: string[];
}
interface Placed {
  kind: string;
  packsIn: number;
  packsOut: number;
  /** Packs RabbitMQ put into the sending node's queue (its own, skipped unread) and the other's. */
  toA: number;
  toB: number;
  /** Counted at the nodes: own packs skipped at A, messages received from other nodes at B. */
  selfAtA: number;
  inAtB: number;
}
interface Row {
  setup: Setup;
  report: LoadReport;
  /** CPU cores per node process, RabbitMQ (whole tree) during the run. */
  nodeCores: number[];
  rabbitCores: number;
  packsIn: number;
  packsOut: number;
  /** Node CPU (all node processes) per delivery, µs. */
  nodeUsPerDelivery: number;
}

async function main(): Promise<void> {
  process.stderr.write(`bench:cluster on ${machineLine()}\n`);
  const [rabbit, pg] = await Promise.all([
    startRabbitMQ({ plugins: ['rabbitmq_management'], config: ['collect_statistics_interval = 500'] }),
    startPostgres(),
  ]);
  const mgmt = rabbit.managementUrl!;
  const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
  const exchangeOnce = async () => {
    const r = (await (await fetch(`${mgmt}/api/exchanges/%2F/${EXCHANGE}`, { headers: auth })).json()) as { message_stats?: { publish_in?: number; publish_out?: number } };
    return { in: r.message_stats?.publish_in ?? 0, out: r.message_stats?.publish_out ?? 0 };
  };
  // RabbitMQ's statistics arrive seconds late on a busy machine: give them time, then read until
  // two reads two seconds apart agree. The nodes' own counters (scrapeNodes) are exact.
  const exchangeStats = async () => {
    await sleep(3000);
    let prev = await exchangeOnce();
    for (let i = 0; i < 10; i++) {
      await sleep(2000);
      const next = await exchangeOnce();
      if (next.in === prev.in && next.out === prev.out) return next;
      prev = next;
    }
    return prev;
  };
  /** Messages RabbitMQ put into each node queue so far. */
  const queueIn = async (): Promise<Map<string, number>> => {
    const list = (await (await fetch(`${mgmt}/api/queues/%2F?columns=name,message_stats`, { headers: auth })).json()) as Array<{ name: string; message_stats?: { publish?: number } }>;
    return new Map(list.filter((q) => q.name.startsWith('stompbox.node.')).map((q) => [q.name.slice('stompbox.node.'.length), q.message_stats?.publish ?? 0]));
  };
  const queueExists = async (name: string) => (await fetch(`${mgmt}/api/queues/%2F/${encodeURIComponent(name)}`, { headers: auth })).ok;

  const start = async (processes: number): Promise<Setup> => {
    const id = `bench${processes}`;
    const child = await startChild({
      name: `${processes} node${processes > 1 ? 's' : ''}`,
      entry: 'apps/broker/main.ts',
      env: { AMQP_URL: rabbit.url, DATABASE_URL: pg.url, REDIS_URL: '', NODE_ID: id, BROKER_PROCESSES: String(processes), LOG_LEVEL: 'warn' },
      startTimeoutMs: 120_000,
    });
    const nodeIds = processes > 1 ? Array.from({ length: processes }, (_, i) => `${id}.${i}`) : [id];
    // Ready when every node's queue exists (each worker declares its own).
    for (const n of nodeIds) while (!(await queueExists(`stompbox.node.${n}`))) await sleep(200);
    const setup = { name: child.name, processes, child, nodeIds };
    await runLoad(loadOptions(WARMUP_ARGS, ['--workers', workers, '--url', child.url, '--timeout', '60s']), { pool });
    return setup;
  };

  const setups: Setup[] = [];
  const rows: Row[] = [];
  let latency: { idle: LatencySamples; loaded: LatencySamples; background: LoadReport } | null = null;
  const placed: Placed[] = [];
  try {
    if (latencyOnly) setups.push(await start(2));
    else setups.push(await start(1), await start(2));
    const measuredRounds = latencyOnly && values.capacity ? 0 : rounds;
    for (let round = 0; round < measuredRounds; round++) {
      for (const s of setups) rows.push(await measure(s, exchangeStats, rabbit.pid ?? 0));
    }
    const two = setups.at(-1)!;
    // (b) rooms placed on purpose: all members on node A, or on A and B.
    for (const kind of latencyOnly ? [] : (['local', 'spanning'] as const)) {
      const [x0, q0, n0] = [await exchangeStats(), await queueIn(), await scrapeNodes(two.child.port, two.nodeIds)];
      const { a, b } = await placedRooms(two.child.url, kind, 50, 40);
      const [x1, q1, n1] = [await exchangeStats(), await queueIn(), await scrapeNodes(two.child.port, two.nodeIds)];
      const into = (n: string) => (q1.get(n) ?? 0) - (q0.get(n) ?? 0);
      const atNode = diffCounters(n0, n1);
      placed.push({
        kind,
        packsIn: x1.in - x0.in,
        packsOut: x1.out - x0.out,
        toA: into(a),
        toB: into(b),
        selfAtA: atNode.get(a)?.stompbox_cluster_self_packs_total ?? NaN,
        inAtB: atNode.get(b)?.stompbox_cluster_messages_in_total ?? NaN,
      });
    }
    // (c) on the two-node setup: idle, then under half its measured capacity.
    const twoBest = values.capacity ? Number(values.capacity) : Math.max(...rows.filter((r) => r.setup === two).map((r) => r.report.deliveries.perSec));
    await waitForQuiet(two.child.pid);
    const idle = await crossNodeLatency(two.child.url, probeCount, 2);
    const sample = rows.find((r) => r.setup === two)?.report;
    // Rooms of 6 with one sender: every member (the sender too) gets each message.
    const deliveriesPerMessage = sample ? sample.deliveries.received / Math.max(1, sample.sent) : 6;
    const sendsPerSec = twoBest / 2 / deliveriesPerMessage;
    const senders = 300;
    const intervalMs = Math.max(1, Math.round((senders * 1000) / sendsPerSec));
    const bgArgs = [...FANOUT_ARGS, '--window', '0', '--interval', String(intervalMs), '--duration', `${Math.ceil((probeCount * 2 + 3000) / 1000)}s`];
    process.stderr.write(`\n== background ${bgArgs.join(' ')} (half of ${fmt(twoBest, 0)} deliveries/s)\n`);
    const bg = runLoad(loadOptions(bgArgs, ['--workers', workers, '--url', two.child.url, '--broker-pid', String(two.child.pid), '--progress', 'none']), { pool });
    await sleep(1500);
    const lag0 = await scrapeNodeTexts(two.child.port, two.processes);
    const loaded = await crossNodeLatency(two.child.url, probeCount, 2);
    const lag1 = await scrapeNodeTexts(two.child.port, two.processes);
    latency = { idle, loaded, background: await bg };
    // Where the cross-node time goes: accepted at one node → pack arrived at the other (all cross-node packs meanwhile).
    const LAG = 'stompbox_cluster_relay_lag_seconds';
    for (const [node, text] of lag1) {
      const [b, a] = [bucketsOf(lag0.get(node) ?? '', LAG), bucketsOf(text, LAG)];
      process.stderr.write(`relay lag at ${node} during the loaded probe (bucket bounds): p50 ≤ ${bucketPercentile(b, a, 50) * 1000} ms, p99 ≤ ${bucketPercentile(b, a, 99) * 1000} ms\n`);
    }
    const bgReport = latency.background;
    process.stderr.write(`background: aimed at ${fmt(twoBest / 2, 0)} deliveries/s, delivered ${fmt(bgReport.deliveries.perSec, 0)}/s, latency p50/p99 ${fmt(bgReport.latencyMs.p50, 1)} / ${fmt(bgReport.latencyMs.p99, 1)} ms, load generator ${fmt(bgReport.cpu.loadgenCores, 2)} cores\n`);
  } finally {
    await Promise.all(setups.map((s) => s.child.stop()));
    await pool.close();
    await Promise.all([rabbit.stop(), pg.stop()]);
  }
  print(rows, latency, placed);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows: rows.map((r) => ({ ...r, setup: r.setup.name })), placed, latency }, null, 2));
}

async function measure(s: Setup, exchangeStats: () => Promise<{ in: number; out: number }>, rabbitPid: number): Promise<Row> {
  await waitForQuiet(s.child.pid);
  const pids = s.processes > 1 ? childrenOf(s.child.pid) : [s.child.pid];
  const before = pids.map((p) => sampleProc(p)?.cpuMs ?? 0);
  const rabbit0 = sampleProcTree(rabbitPid)?.cpuMs ?? 0;
  const x0 = await exchangeStats();
  const t0 = performance.now();
  process.stderr.write(`\n== ${FANOUT_ARGS.join(' ')} → ${s.name} ${s.child.url}\n`);
  const o = loadOptions([...FANOUT_ARGS, '--duration', `${durationMs}ms`], ['--workers', workers, '--url', s.child.url, '--broker-pid', String(s.child.pid), '--progress', 'lines', '--timeout', '240s']);
  const report = await runLoad(o, { pool });
  const wall = performance.now() - t0;
  const x1 = await exchangeStats();
  const nodeCores = pids.map((p, i) => ((sampleProc(p)?.cpuMs ?? 0) - before[i]) / wall);
  const rabbitCores = ((sampleProcTree(rabbitPid)?.cpuMs ?? 0) - rabbit0) / wall;
  const nodeMs = nodeCores.reduce((a, b) => a + b, 0) * wall;
  const nodeUsPerDelivery = report.deliveries.received ? (nodeMs * 1000) / report.deliveries.received : NaN;
  return { setup: s, report, nodeCores, rabbitCores, packsIn: x1.in - x0.in, packsOut: x1.out - x0.out, nodeUsPerDelivery };
}

function print(rows: Row[], latency: { idle: LatencySamples; loaded: LatencySamples; background: LoadReport } | null, placed: Placed[]): void {
  const median = (xs: Row[]) => [...xs].sort((a, b) => a.report.deliveries.perSec - b.report.deliveries.perSec)[Math.floor((xs.length - 1) / 2)];
  const names = [...new Set(rows.map((r) => r.setup.name))];
  const table = rows.map((r) => {
    const d = r.report.deliveries;
    const routedPerK = d.received ? (r.packsOut * 1000) / d.received : NaN;
    const bindAllPerK = d.received ? (r.packsIn * r.setup.processes * 1000) / d.received : NaN;
    return [
      r.setup.name,
      `${fmt(d.perSec, 0)}/s`,
      `${fmt(r.report.latencyMs.p50, 1)} / ${fmt(r.report.latencyMs.p99, 1)}`,
      `${r.nodeCores.map((c) => fmt(c, 2)).join(' + ')} (${fmt(r.nodeUsPerDelivery, 1)} µs/del)`,
      fmt(r.rabbitCores, 2),
      fmt(r.report.cpu.loadgenCores, 2),
      `${fmt(r.packsIn)} → ${fmt(r.packsOut)}`,
      `${fmt(routedPerK, 2)} vs ${fmt(bindAllPerK, 2)}`,
      `${fmt(r.report.errorTotal)} / ${fmt(d.lost)} / ${fmt(d.duplicated)} / ${fmt(d.outOfOrder)}`,
    ];
  });
  console.log(`\nbench:cluster — ${machineLine()}; ${FANOUT_ARGS.join(' ')}, ${durationMs} ms per run, rounds alternate`);
  console.log(
    renderTable(
      ['setup', 'deliveries', 'latency p50 / p99 ms', 'node CPU cores', 'RabbitMQ cores', 'load gen cores', 'node packs published → routed', 'AMQP msgs per 1k deliveries: interest vs bind-all', 'errors / lost / dup / out of order'],
      table,
    ),
  );
  if (names.length === 2) {
    const one = median(rows.filter((r) => r.setup.name === names[0]));
    const two = median(rows.filter((r) => r.setup.name === names[1]));
    console.log(`\ntwo nodes / one node (median rounds): ${fmt(two.report.deliveries.perSec / one.report.deliveries.perSec, 2)}x deliveries/s (goal ≥ 1.3x); node CPU per delivery ${fmt(one.nodeUsPerDelivery, 1)} vs ${fmt(two.nodeUsPerDelivery, 1)} µs`);
  }
  if (placed.length) console.log('\n(b) RabbitMQ traffic with rooms placed on purpose (two nodes, 50 rooms × 40 messages from node A; packs include the probe\'s own set-up)');
  if (placed.length) console.log(
    renderTable(
      ['rooms', 'packs published', 'routed (interest)', 'into queue A (own) / queue B', 'counted at nodes: A own packs skipped / B messages in', 'routed if every node bound every room'],
      placed.map((p) => [
        p.kind === 'local' ? 'all members on node A' : 'members on A and B',
        fmt(p.packsIn),
        fmt(p.packsOut),
        `${fmt(p.toA)} / ${fmt(p.toB)}`,
        `${fmt(p.selfAtA)} / ${fmt(p.inAtB)}`,
        fmt(p.packsIn * 2),
      ]),
    ),
  );
  if (latency) {
    const line = (what: string, s: LatencySamples) => {
      const [s50, s99, c50, c99] = [percentile(s.same, 50), percentile(s.same, 99), percentile(s.cross, 50), percentile(s.cross, 99)];
      return [what, `${fmt(s50, 2)} / ${fmt(s99, 2)}`, `${fmt(c50, 2)} / ${fmt(c99, 2)}`, `${fmt(c50 - s50, 2)} / ${fmt(c99 - s99, 2)}`, `${s.same.length} / ${s.cross.length}`];
    };
    console.log('\n(c) latency added by crossing nodes (ms; sender on node A, one message every 2 ms)');
    console.log(
      renderTable(['load', 'same node p50 / p99', 'cross node p50 / p99', 'cross - same p50 / p99', 'samples'], [
        line('idle', latency.idle),
        line(`background ${fmt(latency.background.deliveries.perSec, 0)} deliveries/s`, latency.loaded),
      ]),
    );
    console.log('goal: cross - same p99 under 20 ms at half the machine\'s capacity');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
