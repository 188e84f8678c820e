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
 *       under an open-loop background load (senders on a fixed interval, no window) at half the
 *       two nodes' sustainable capacity. That capacity is searched for first: steps of
 *       background with the probe inside, starting at half the closed-loop capacity of (a),
 *       down while a step fails, then bisection; a step holds when the load generator kept its
 *       schedule, the nodes were not behind at its end, and the probe's median did not climb
 *       over it (the rule is in cluster-search.ts). Sustainable capacity = what the highest
 *       held step offered.
 *       The probe's cross − same is quoted two ways: per message (the same message at both
 *       subscribers, which cancels the queueing both share) and as a difference of percentiles.
 * Options: --duration TIME (each (a) run, default 5s), --rounds N (default 2), --workers N,
 * --probe N (latency messages, default 2000), --json FILE, --only latency ((c) alone: two nodes,
 * `--rounds` runs of (a) on them for the capacity, or none with --capacity DELIVERIES_PER_S),
 * --search-step-s S (background per search step, default 5), --search-steps N (at most, default
 * 6), --sustainable DELIVERIES_PER_S (skip the search, take this as the sustainable capacity),
 * --probe-interval MS (between probe messages, default 2).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultWorkers, parseDuration } from '../cli/options';
import { runLoad } from '../run/run-load';
import { busiestThreadsWaitMs, sampleProcTree, sampleProc, type ProcSample } from '../run/proc-stats';
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
import { LatencyProbe, placedRooms } from './cluster-probe';
import { slowerOfTwo, summarize, type LatencySamples, type LatencySummary } from './cluster-latency';
import { backgroundPacing, judgeStep, nextRate, sustainableRate, wholeIntervals, type SearchStep, type StepVerdict } from './cluster-search';
import type { ProgressSink } from '../run/progress';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rounds: { type: 'string', default: '2' },
    workers: { type: 'string' },
    probe: { type: 'string', default: '2000' },
    json: { type: 'string' },
    only: { type: 'string' },
    capacity: { type: 'string' },
    'search-step-s': { type: 'string', default: '5' },
    'search-steps': { type: 'string', default: '6' },
    sustainable: { type: 'string' },
    'probe-interval': { type: 'string', default: '2' },
  },
});
if (values.only !== undefined && values.only !== 'latency') throw new Error('--only takes "latency"');
const latencyOnly = values.only === 'latency';
const durationMs = parseDuration('duration', values.duration!);
const rounds = Math.max(1, Number(values.rounds));
const workers = values.workers ?? String(defaultWorkers());
const probeCount = Number(values.probe);
const searchStepMs = Number(values['search-step-s']) * 1000;
const searchSteps = Math.max(1, Number(values['search-steps']));
for (const [k, v] of [['probe', probeCount], ['probe-interval', Number(values['probe-interval'])], ['search-step-s', searchStepMs], ['capacity', Number(values.capacity ?? 1)], ['sustainable', Number(values.sustainable ?? 1)]] as const) {
  if (!(v > 0)) throw new Error(`--${k} takes a positive number`);
}
const pool = new WorkerPool(Math.max(1, Number(workers)));
const EXCHANGE = 'stompbox.nodes';
/** Senders of the background (FANOUT_ARGS: 300 rooms, one sender each). */
const BG_SENDERS = 300;
/** The probe sends one message every this many ms (each one its own pack to the other node: the probe is load too). */
const PROBE_INTERVAL_MS = Number(values['probe-interval']);


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

/** CPU cores over a window: each node process, RabbitMQ, Postgres, this process (load generator threads and the probe). */
interface CpuSplit {
  nodes: number[];
  rabbit: number;
  postgres: number;
  bench: number;
}
/** One run of open-loop background with the probe inside it. */
interface BackgroundRun extends SearchStep, CpuWindow {
  intervalMs: number;
  durationMs: number;
  /** After the stop, until the last delivery arrived: the backlog left, in time. */
  drainMs: number;
  /** What the load generator really sent, as deliveries/s (its timers drift when it has no core). */
  offeredPerSec: number;
  backgroundP50: number;
  backgroundP99: number;
  errors: number;
  verdict: StepVerdict;
  probe: LatencySummary;
  samples: LatencySamples;
  /** stompbox_cluster_relay_lag_seconds per node while the probe sent (bucket bounds, ms). */
  relayLag: Array<{ node: string; p50: number; p99: number; packs: number }>;
  /** 1-minute load average at the end of the probe's sending. */
  load1: number;
}
interface Latency {
  idle: LatencySamples;
  idleLoad1: number;
  /** The probe alone (its own load: one SEND every --probe-interval ms, each its own pack to the other node). */
  idleCpu: CpuWindow;
  capacity: number;
  search: BackgroundRun[];
  /** null: no step held. */
  sustainable: number | null;
  sustainableGiven: boolean;
  loaded: BackgroundRun;
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
  let latency: Latency | null = null;
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
    // (c) on the two-node setup: idle, then the search, then under half the sustainable rate.
    const twoBest = values.capacity ? Number(values.capacity) : Math.max(...rows.filter((r) => r.setup === two).map((r) => r.report.deliveries.perSec));
    const sample = rows.find((r) => r.setup === two)?.report;
    // Rooms of 6 with one sender: every member (the sender too) gets each message.
    const deliveriesPerMessage = sample ? sample.deliveries.received / Math.max(1, sample.sent) : 6;
    const pacing = (rate: number) => backgroundPacing(rate, BG_SENDERS, deliveriesPerMessage);
    const services = { rabbit: rabbit.pid ?? 0, postgres: pg.pid ?? 0 };
    await waitForQuiet(two.child.pid);
    const probe = await LatencyProbe.open(two.child.url);
    try {
      let idleCpu: CpuWindow | null = null;
      const idleWindow = cpuWindow(two, services);
      const idle = await probe.run({ count: probeCount, intervalMs: PROBE_INTERVAL_MS, onSent: () => (idleCpu = idleWindow()) });
      const idleLoad1 = loadavg()[0];
      process.stderr.write(`idle probe: ${cpuText(idleCpu ?? idleWindow())}\n`);
      const search: BackgroundRun[] = [];
      if (!values.sustainable) {
        const plan = { start: twoBest / 2, ceiling: twoBest, maxSteps: searchSteps, precision: 0.1, minRate: 1000, realize: (r: number) => pacing(r).aimedPerSec };
        process.stderr.write(`\n== search for the sustainable open-loop rate (closed-loop capacity ${fmt(twoBest, 0)} deliveries/s, ${searchStepMs} ms steps)\n`);
        for (let rate = nextRate(search, plan); rate !== null; rate = nextRate(search, plan)) {
          await waitForQuiet(two.child.pid);
          const step = await backgroundRun(two, services, probe, pacing(rate), deliveriesPerMessage, searchStepMs, Infinity);
          search.push(step);
          process.stderr.write(`step: ${runLine(step)}\n`);
        }
      }
      // The rate the nodes held is what the load generator really offered in that step.
      const held = search.filter((r) => r.sustained && r.aimedPerSec === sustainableRate(search))[0];
      const sustainable = values.sustainable ? Number(values.sustainable) : held ? Math.min(held.aimedPerSec, held.offeredPerSec) : null;
      // No step held: still measure, at half the lowest rate tried, and say so.
      const base = sustainable ?? Math.min(...search.map((s) => s.aimedPerSec));
      await waitForQuiet(two.child.pid);
      process.stderr.write(`\n== (c) under background at half of ${fmt(base, 0)} deliveries/s${sustainable === null ? ' (no step held: half the lowest tried)' : ''}\n`);
      const loadedMs = probeCount * PROBE_INTERVAL_MS * 1.5 + 3000;
      const loaded = await backgroundRun(two, services, probe, pacing(base / 2), deliveriesPerMessage, loadedMs, probeCount);
      process.stderr.write(`(c) loaded: ${runLine(loaded)}\n`);
      latency = { idle, idleLoad1, idleCpu: idleCpu ?? idleWindow(), capacity: twoBest, search, sustainable, sustainableGiven: !!values.sustainable, loaded };
    } finally {
      probe.close();
    }
  } finally {
    await Promise.all(setups.map((s) => s.child.stop()));
    await pool.close();
    await Promise.all([rabbit.stop(), pg.stop()]);
  }
  print(rows, latency, placed);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows: rows.map((r) => ({ ...r, setup: r.setup.name })), placed, latency }, null, 2));
}

interface CpuWindow {
  cpu: CpuSplit;
  /** Share of the window the busiest threads were runnable but had no core (/proc schedstat). */
  waited: { nodes: number[]; rabbit: number; bench: number };
}

/** Starts a window over the node processes, RabbitMQ, Postgres and this process; the returned function ends it. */
function cpuWindow(two: Setup, services: { rabbit: number; postgres: number }): () => CpuWindow {
  const pids = childrenOf(two.child.pid);
  const sampleNow = () => ({
    t: performance.now(),
    nodes: pids.map((p) => sampleProc(p)),
    rabbit: sampleProcTree(services.rabbit),
    postgres: sampleProcTree(services.postgres),
    bench: sampleProc(process.pid),
  });
  const s0 = sampleNow();
  return () => {
    const s1 = sampleNow();
    const wall = Math.max(1, s1.t - s0.t);
    const cores = (a: ProcSample | null, b: ProcSample | null) => (a && b ? (b.cpuMs - a.cpuMs) / wall : NaN);
    const waited = (a: ProcSample | null, b: ProcSample | null, k: number) => (a && b ? busiestThreadsWaitMs(a, b, k) / wall : NaN);
    return {
      cpu: {
        nodes: pids.map((_, i) => cores(s0.nodes[i], s1.nodes[i])),
        rabbit: cores(s0.rabbit, s1.rabbit),
        postgres: cores(s0.postgres, s1.postgres),
        bench: cores(s0.bench, s1.bench),
      },
      // Event-loop threads: one per node, two Erlang schedulers, the coordinator and the load generator's worker.
      waited: {
        nodes: pids.map((_, i) => waited(s0.nodes[i], s1.nodes[i], 1)),
        rabbit: waited(s0.rabbit, s1.rabbit, 2),
        bench: waited(s0.bench, s1.bench, 2),
      },
    };
  };
}

/**
 * Open-loop background at `pace` for about `wantMs` (300 senders, one SEND every `intervalMs`
 * each, no window), the probe sending inside its run phase (at most `probeCount` messages).
 */
async function backgroundRun(
  two: Setup,
  services: { rabbit: number; postgres: number },
  probe: LatencyProbe,
  pace: { intervalMs: number; aimedPerSec: number },
  perMessage: number,
  wantMs: number,
  probeCount: number,
): Promise<BackgroundRun> {
  const { durationMs, ticks } = wholeIntervals(wantMs, pace.intervalMs);
  const args = [...FANOUT_ARGS, '--window', '0', '--interval', String(pace.intervalMs), '--stagger', '--duration', `${durationMs}ms`];
  process.stderr.write(`background ${args.join(' ')} (aims at ${fmt(pace.aimedPerSec, 0)} deliveries/s)\n`);
  let running!: () => void;
  const running$ = new Promise<void>((r) => (running = r));
  // The run phase is reported every 250 ms; the probe starts there, not during set-up.
  const sink: ProgressSink = { update: (v) => v.phase === 'run' && running(), end() {} };
  const bg = runLoad(loadOptions(args, ['--workers', workers, '--url', two.child.url, '--broker-pid', String(two.child.pid), '--progress', 'none', '--timeout', '180s']), { pool, progress: sink });
  await Promise.race([running$, bg]);
  const LAG = 'stompbox_cluster_relay_lag_seconds';
  const lag0 = await scrapeNodeTexts(two.child.port, two.processes);
  const window = cpuWindow(two, services);
  let split: CpuWindow | null = null;
  let load1 = NaN;
  let lag1$: Promise<Map<string, string>> = Promise.resolve(new Map());
  // Stop sending 500 ms before the background does (detection lag of the run phase, plus margin).
  const samples = await probe.run({
    count: probeCount,
    intervalMs: PROBE_INTERVAL_MS,
    durationMs: durationMs - 500,
    onSent: () => {
      split = window();
      load1 = loadavg()[0];
      lag1$ = scrapeNodeTexts(two.child.port, two.processes);
    },
  });
  const lag1 = await lag1$;
  const report = await bg;
  const relayLag = [...lag1].map(([node, text]) => {
    const [b, a] = [bucketsOf(lag0.get(node) ?? '', LAG), bucketsOf(text, LAG)];
    return { node, p50: bucketPercentile(b, a, 50) * 1000, p99: bucketPercentile(b, a, 99) * 1000, packs: (a.get(Infinity) ?? 0) - (b.get(Infinity) ?? 0) };
  });
  const deliveredPerSec = report.deliveries.perSec;
  const deliveredAtStop = (deliveredPerSec * durationMs) / 1000;
  const verdict = judgeStep({ scheduled: ticks * BG_SENDERS, sent: report.sent, perMessage, deliveredAtStop, durationMs, intervalMs: pace.intervalMs }, slowerOfTwo(samples));
  return {
    aimedPerSec: pace.aimedPerSec,
    deliveredPerSec,
    sustained: verdict.sustained,
    intervalMs: pace.intervalMs,
    durationMs,
    offeredPerSec: (report.sent * perMessage * 1000) / durationMs,
    drainMs: report.runMs - durationMs,
    backgroundP50: report.latencyMs.p50,
    backgroundP99: report.latencyMs.p99,
    errors: report.errorTotal + report.deliveries.lost,
    verdict,
    probe: summarize(samples),
    samples,
    relayLag,
    ...(split ?? window()),
    load1,
  };
}

/** One line per background run, for the progress log. */
function runLine(r: BackgroundRun): string {
  const p = r.probe;
  const v = r.verdict;
  return `aimed ${fmt(r.aimedPerSec, 0)}/s, sent ${fmt(v.offeredRatio * 100, 1)} % of schedule, delivered ${fmt(r.deliveredPerSec, 0)}/s (${fmt(v.deliveredRatio * 100, 1)} % of sent by the stop: ${fmt(v.behindMs, 0)} ms behind, ${fmt(v.allowedBehindMs, 0)} allowed; last delivery ${fmt(r.drainMs, 0)} ms after the stop); probe (slower of two) p50 ${fmt(v.p50First, 1)} → ${fmt(v.p50Second, 1)}, p99 ${fmt(v.p99First, 1)} → ${fmt(v.p99Second, 1)} ms; same ${fmt(p.same.p50, 1)} / ${fmt(p.same.p99, 1)}, cross ${fmt(p.cross.p50, 1)} / ${fmt(p.cross.p99, 1)}, per-message cross − same ${fmt(p.perMessage.p50, 1)} / ${fmt(p.perMessage.p99, 1)} ms; relay lag p50/p99 ≤ ${r.relayLag.map((l) => `${fmt(l.p50, 0)}/${fmt(l.p99, 0)}`).join(', ')} ms; ${cpuText(r)}; load ${fmt(r.load1, 2)} → ${r.sustained ? 'held' : `failed: ${v.why}`}`;
}

function cpuText(r: CpuWindow): string {
  const [c, w] = [r.cpu, r.waited];
  return `cores nodes ${c.nodes.map((x) => fmt(x, 2)).join(' + ')}, RabbitMQ ${fmt(c.rabbit, 2)}, Postgres ${fmt(c.postgres, 2)}, load gen + probe ${fmt(c.bench, 2)}; waited for a core (share of the time) nodes ${w.nodes.map((x) => fmt(x * 100, 0) + ' %').join(' + ')}, RabbitMQ ${fmt(w.rabbit * 100, 0)} %, load gen ${fmt(w.bench * 100, 0)} %`;
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

function print(rows: Row[], latency: Latency | null, placed: Placed[]): void {
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
  if (latency) printLatency(latency);
}

function printLatency(l: Latency): void {
  const pm = (x: { p50: number; p99: number }) => `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)}`;
  if (l.search.length) {
    console.log(`\n(c) sustainable open-loop rate, two nodes: steps of background (${FANOUT_ARGS.slice(1, 7).join(' ')} --window 0 --interval MS --stagger), closed-loop capacity ${fmt(l.capacity, 0)} deliveries/s`);
    console.log(
      renderTable(
        ['step', 'deliveries/s aimed / offered / delivered', 'sent / schedule', 'delivered by stop / sent', 'behind at stop ms (allowed)', 'last delivery after stop ms', 'probe p50 1st → 2nd half ms', 'probe p99 1st → 2nd half ms', 'relay lag p50 / p99 ≤ ms per node', 'cores: nodes / RabbitMQ / Postgres / load gen', 'load avg', 'verdict'],
        l.search.map((r, i) => [
          String(i + 1),
          `${fmt(r.aimedPerSec, 0)} / ${fmt(r.offeredPerSec, 0)} / ${fmt(r.deliveredPerSec, 0)}`,
          `${fmt(r.verdict.offeredRatio * 100, 1)} %`,
          `${fmt(r.verdict.deliveredRatio * 100, 1)} %`,
          `${fmt(r.verdict.behindMs, 0)} (${fmt(r.verdict.allowedBehindMs, 0)})`,
          fmt(r.drainMs, 0),
          `${fmt(r.verdict.p50First, 1)} → ${fmt(r.verdict.p50Second, 1)}`,
          `${fmt(r.verdict.p99First, 1)} → ${fmt(r.verdict.p99Second, 1)}`,
          r.relayLag.map((x) => `${fmt(x.p50, 0)} / ${fmt(x.p99, 0)}`).join(', '),
          `${r.cpu.nodes.map((c) => fmt(c, 2)).join('+')} / ${fmt(r.cpu.rabbit, 2)} / ${fmt(r.cpu.postgres, 2)} / ${fmt(r.cpu.bench, 2)}`,
          fmt(r.load1, 2),
          r.sustained ? 'held' : `failed: ${r.verdict.why}`,
        ]),
      ),
    );
    console.log('a step holds when the load generator sent ≥ 90 % of its schedule, the nodes were behind at the stop (sent, not yet delivered, in ms of sending) by at most one sender interval (the last burst) + 3 % of the step, and the probe\'s p50 (slower of its two deliveries per message) in the second half ≤ 1.5 × the first half + 1 % of the step (at least 10 ms; a backlog growing at 2 % of the rate moves it that much)');
  }
  const sust = l.sustainable === null ? 'none held' : `${fmt(l.sustainable, 0)} deliveries/s${l.sustainableGiven ? ' (given by --sustainable)' : ''}`;
  const bg = l.loaded;
  console.log(`\nsustainable capacity (two nodes, open loop, what the highest held step offered): ${sust}`);
  console.log(`(c) background at half of it: aimed ${fmt(bg.aimedPerSec, 0)}, offered ${fmt(bg.offeredPerSec, 0)}, delivered ${fmt(bg.deliveredPerSec, 0)} deliveries/s (${bg.sustained ? 'held' : `not held: ${bg.verdict.why}`}); its own latency p50 / p99 ${fmt(bg.backgroundP50, 1)} / ${fmt(bg.backgroundP99, 1)} ms`);
  const row = (what: string, s: LatencySummary, load1: number) => [
    what,
    pm(s.same),
    pm(s.cross),
    pm(s.perMessage),
    pm(s.percentileDiff),
    `${s.same.n} / ${s.cross.n} of ${s.sent}`,
    fmt(load1, 2),
  ];
  console.log(`\n(c) latency added by crossing nodes (ms; sender on node A, one message every ${PROBE_INTERVAL_MS} ms)`);
  console.log(
    renderTable(['load', 'same node p50 / p99', 'cross node p50 / p99', 'cross − same per message p50 / p99', 'cross p − same p (difference of percentiles)', 'delivered same / cross', 'load avg'], [
      row('idle', summarize(l.idle), l.idleLoad1),
      row(`background ${fmt(l.loaded.deliveredPerSec, 0)} deliveries/s (aimed ${fmt(l.loaded.aimedPerSec, 0)})`, l.loaded.probe, l.loaded.load1),
    ]),
  );
  console.log(`while the probe ran under background: relay lag (pack accepted at one node → arrived at the other, bucket bounds) ${bg.relayLag.map((x) => `${x.node} p50 ≤ ${fmt(x.p50, 0)} / p99 ≤ ${fmt(x.p99, 0)} ms over ${fmt(x.packs)} packs`).join(', ')}; ${cpuText(bg)}`);
  console.log(`while the probe ran idle: ${cpuText(l.idleCpu)}`);
  console.log('per message: cross − same of each probe message delivered to both (queueing both share cancels); difference of percentiles: each side\'s percentile over its own deliveries');
  console.log('goal: cross − same p99 under 20 ms at half the sustainable capacity');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
