/**
 * `npm run bench:idle`: many idle connections with heart-beats running, spread over broker
 * processes on this machine: broker RSS per connection, heart-beats missed and connections
 * dropped while idle, and the brokers' CPU meanwhile.
 *
 * The broker is the compiled `npm run broker` with BROKER_PROCESSES=N on one port (node:cluster
 * hands connections round-robin), with RabbitMQ and Postgres started here (several processes
 * need both). Connections come from several load-generator processes (idle-fleet.ts), each
 * binding its own source address 127.0.0.2, .3, …; each connection CONNECTs with heart-beat
 * H,H and SUBSCRIBEs (with a receipt) to its room. Then they are held idle for the hold time.
 * Every process here stops by itself (an overall deadline) and is stopped by its PID.
 *
 * Options: --connections N (100000), --processes N (broker processes; enough for 16,000
 * connections each), --clients N (load generators; 18,000 each), --hold TIME (60s), --heart-beat
 * MS (10000), --room-size N (100), --concurrency N (handshakes in progress per load generator,
 * 32), --settle TIME (10s), --json FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../cli/options';
import { sampleProc, sampleProcTree } from '../run/proc-stats';
import { fmt } from '../stats/report';
import { startPostgres, startRabbitMQ } from '../../shared/testing/services/index';
import { sleep } from '../../shared/sleep';
import { buildIfStale, startChild } from './child';
import { metricSum, scrapeNodeTexts } from './cluster-scrape';
import { IdleFleet, PORTS_PER_ADDRESS, type ClientsReport } from './idle-fleet';
import { machineLine } from './machine';
import { childrenOf } from './process-children';
import { renderTable } from './table';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100000' },
    processes: { type: 'string' },
    clients: { type: 'string' },
    hold: { type: 'string', default: '60s' },
    'heart-beat': { type: 'string', default: '10000' },
    'room-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '32' },
    settle: { type: 'string', default: '10s' },
    json: { type: 'string' },
  },
});
const PER_PROCESS = 18_000; // under the 20,000 open files a process may have, with room for its own
// node:cluster's round-robin favours the workers that answer first (seen: +8 % over the mean),
// so the brokers get more room than the load generators.
const PER_BROKER = 16_000;
const connections = Number(values.connections);
const processes = Number(values.processes ?? Math.max(2, Math.ceil(connections / PER_BROKER)));
const clients = Number(values.clients ?? Math.max(2, Math.ceil(connections / PER_PROCESS)));
const holdMs = parseDuration('hold', values.hold!);
const settleMs = parseDuration('settle', values.settle!);
const heartBeatMs = Number(values['heart-beat']);
const roomSize = Number(values['room-size']);
const concurrency = Number(values.concurrency);
// Connecting costs ~3 ms of CPU per connection here (both sides); on a shared box, give up past this.
const openBudgetMs = 120_000 + connections * 8;
const deadlineMs = openBudgetMs + holdMs + 3 * settleMs + 180_000;

const kib = (pids: number[]) => pids.map((p) => sampleProc(p)?.rssKiB ?? NaN);
const cpuMs = (pids: number[]) => pids.map((p) => sampleProc(p)?.cpuMs ?? NaN);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function waitReady(port: number, nodes: number): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const texts = await scrapeNodeTexts(port, nodes).catch(() => new Map<string, string>());
    if (texts.size === nodes && [...texts.values()].every((t) => metricSum(t, 'stompbox_cluster_ready') === 1)) return;
    await sleep(500);
  }
  throw new Error('broker nodes not ready in time');
}

async function main(): Promise<void> {
  const perClient = Math.ceil(connections / clients);
  if (perClient > PER_PROCESS || perClient > PORTS_PER_ADDRESS) throw new Error(`${perClient} connections per load generator: use more --clients`);
  if (Math.ceil(connections / processes) > PER_PROCESS) throw new Error(`${Math.ceil(connections / processes)} connections per broker process: use more --processes`);
  const startedLine = machineLine();
  log(`bench:idle on ${startedLine}`);
  const hardStop = setTimeout(() => {
    log(`bench:idle: overall deadline (${deadlineMs} ms) passed; stopping`);
    process.exit(3); // child.ts and idle-fleet.ts kill their processes on exit
  }, deadlineMs);
  hardStop.unref();
  buildIfStale();
  const [rabbit, pg] = await Promise.all([startRabbitMQ(), startPostgres()]);
  let fleet: IdleFleet | null = null;
  const broker = await startChild({
    name: `broker × ${processes}`,
    entry: 'apps/broker/main.ts',
    compiled: true,
    startTimeoutMs: 120_000,
    env: {
      AMQP_URL: rabbit.url,
      DATABASE_URL: pg.url,
      REDIS_URL: '',
      BROKER_PROCESSES: String(processes),
      NODE_ID: 'idle',
      LOG_LEVEL: 'warn',
    },
  });
  try {
    await waitReady(broker.port, processes);
    const workers = childrenOf(broker.pid);
    const all = [broker.pid, ...workers];
    await sleep(settleMs);
    const rssBefore = kib(all);
    log(`${processes} broker processes ready (primary ${broker.pid}, workers ${workers.join(' ')}); RSS ${fmt(sum(rssBefore) / 1024, 0)} MiB`);

    const shares = Array.from({ length: clients }, (_, i) => {
      const first = i * perClient;
      return {
        url: broker.url,
        first,
        count: Math.max(0, Math.min(perClient, connections - first)),
        roomSize,
        destinationPrefix: `/topic/room.idle${Date.now().toString(36)}-`,
        heartBeatMs,
        concurrency,
        timeoutMs: 60_000,
        deadlineMs: deadlineMs - 30_000,
      };
    });
    fleet = new IdleFleet(shares);
    const openCpu0 = sum(cpuMs(all));
    const t0 = performance.now();
    const progress = setInterval(() => {
      const c = fleet!.counts;
      log(`  ${fmt((performance.now() - t0) / 1000, 0)} s: ${c.open} open, ${c.failed} failed`);
    }, 5_000);
    const allOpened = fleet.opened();
    let budgetSpent = false;
    const budget = setTimeout(() => {
      // Measure what is open rather than nothing: the machine was too busy to open them all in time.
      budgetSpent = true;
      log(`time for opening (${openBudgetMs} ms) is up: measuring the ${fleet!.counts.open} connections open`);
      fleet!.enough();
    }, openBudgetMs);
    const opened = await allOpened;
    clearTimeout(budget);
    clearInterval(progress);
    const openMs = performance.now() - t0;
    const openCpuMs = sum(cpuMs(all)) - openCpu0;
    const genOpenCpuMs = sum(fleet.pids.map((p) => sampleProcTree(p)?.cpuMs ?? 0));
    const established = sum(opened.map((o) => o.open));
    const failed: Record<string, number> = {};
    for (const o of opened) for (const [k, v] of Object.entries(o.failed)) failed[k] = (failed[k] ?? 0) + v;
    // Connections that were established and then lost while others were still opening, by kind.
    const openDrops: Record<string, number> = {};
    for (const o of opened) for (const [k, v] of Object.entries(o.drops)) openDrops[k] = (openDrops[k] ?? 0) + v;
    log(`${established} connections in ${fmt(openMs / 1000, 1)} s; failed ${JSON.stringify(failed)}; dropped while opening ${JSON.stringify(openDrops)}; source ports skipped (in use) ${sum(opened.map((o) => o.portsSkipped))}`);

    await sleep(settleMs);
    const rssOpen = kib(all);
    const texts0 = await scrapeNodeTexts(broker.port, processes);
    const hbTimeouts0 = sum([...texts0.values()].map((t) => metricSum(t, 'stompbox_heartbeat_timeouts_total') || 0));
    log(`broker heart-beat timeouts so far (opening): ${hbTimeouts0}`);
    const nodeConnections = sum([...texts0.values()].map((t) => metricSum(t, 'stompbox_connections') || 0));
    const fds = all.map((p) => sampleProc(p)?.fds ?? NaN);
    fleet.hold();
    const cpu0 = cpuMs(all);
    const gen0 = sum(fleet.pids.map((p) => sampleProcTree(p)?.cpuMs ?? 0));
    const hold0 = performance.now();
    log(`holding ${established} idle connections for ${holdMs / 1000} s (heart-beat ${heartBeatMs},${heartBeatMs})`);
    await sleep(holdMs);
    const heldMs = performance.now() - hold0;
    const cpu1 = cpuMs(all);
    const gen1 = sum(fleet.pids.map((p) => sampleProcTree(p)?.cpuMs ?? 0));
    const genRss = sum(fleet.pids.map((p) => sampleProcTree(p)?.rssKiB ?? 0));
    const reports = await fleet.report();
    const rssAfter = kib(all);
    const texts1 = await scrapeNodeTexts(broker.port, processes);
    const hbTimeouts = sum([...texts1.values()].map((t) => metricSum(t, 'stompbox_heartbeat_timeouts_total') || 0)) - hbTimeouts0;
    const endLine = machineLine();
    const restarted = childrenOf(broker.pid).sort().join() !== [...workers].sort().join();
    if (restarted) log(`a broker process exited and was restarted during the run; its log:\n${broker.logTail()}`);

    const brokerCores = (sum(cpu1) - sum(cpu0)) / heldMs;
    const beatsIn = sum(reports.map((r) => r.beatsSent));
    const beatsOut = (established * heldMs) / heartBeatMs;
    const result = {
      connections, processes, clients, heartBeatMs, holdMs, roomSize, established, failed, openDrops, openHbTimeouts: hbTimeouts0, openMs, openCpuMs, genOpenCpuMs, budgetSpent, restarted,
      pids: all, rssBeforeKiB: rssBefore, rssOpenKiB: rssOpen, rssAfterKiB: rssAfter, fds, nodeConnections,
      brokerCores, genCores: (gen1 - gen0) / heldMs, genRssKiB: genRss, reports, hbTimeouts,
      usPerBeat: ((sum(cpu1) - sum(cpu0)) * 1000) / Math.max(1, beatsIn + beatsOut), startedLine, endLine,
    };
    print(result);
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  } finally {
    await fleet?.close();
    await broker.stop();
    await Promise.all([rabbit.stop(), pg.stop()]);
  }
}

function print(r: {
  established: number; budgetSpent: boolean; restarted: boolean; failed: Record<string, number>; openDrops: Record<string, number>; openHbTimeouts: number; openMs: number; openCpuMs: number; genOpenCpuMs: number; pids: number[]; rssBeforeKiB: number[]; rssOpenKiB: number[]; rssAfterKiB: number[];
  fds: number[]; nodeConnections: number; brokerCores: number; genCores: number; genRssKiB: number; reports: ClientsReport[]; hbTimeouts: number; usPerBeat: number;
  startedLine: string; endLine: string;
}): void {
  const rows = r.pids.map((pid, i) => {
    const delta = r.rssAfterKiB[i] - r.rssBeforeKiB[i];
    return [i === 0 ? `primary ${pid}` : `worker ${pid}`, fmt(r.rssBeforeKiB[i] / 1024, 1), fmt(r.rssOpenKiB[i] / 1024, 1), fmt(r.rssAfterKiB[i] / 1024, 1), fmt(delta / 1024, 1), fmt(r.fds[i])];
  });
  const before = sum(r.rssBeforeKiB);
  const after = sum(r.rssAfterKiB);
  const drops: Record<string, number> = {};
  for (const rep of r.reports) for (const [k, v] of Object.entries(rep.drops)) drops[k] = (drops[k] ?? 0) + v;
  console.log(`\nbench:idle — ${connections} connections requested, ${processes} broker processes, ${clients} load generators, heart-beat ${heartBeatMs},${heartBeatMs}, hold ${holdMs / 1000} s, rooms of ${roomSize}`);
  console.log(`start: ${r.startedLine}\nend:   ${r.endLine}`);
  console.log(renderTable(['process', 'RSS before MiB', 'after connect', 'after hold', 'Δ MiB', 'open files (≈ its connections)'], rows));
  console.log(renderTable(['figure', 'value'], [
    ['connections established', `${fmt(r.established)} in ${fmt(r.openMs / 1000, 1)} s${r.budgetSpent ? ' (time for opening ran out)' : ''} (failed: ${JSON.stringify(r.failed)}); the nodes count ${fmt(r.nodeConnections)}${r.restarted ? '; a broker process was restarted' : ''}`],
    ['dropped while opening (client side) / broker heart-beat timeouts by then', `${fmt(sum(Object.values(r.openDrops)))} ${JSON.stringify(r.openDrops)} / ${fmt(r.openHbTimeouts)}`],
    ['CPU per connection opened: brokers / load generators (incl. start-up)', `${fmt((r.openCpuMs * 1000) / Math.max(1, r.established), 0)} / ${fmt((r.genOpenCpuMs * 1000) / Math.max(1, r.established), 0)} µs`],
    ['broker RSS total before → after hold', `${fmt(before / 1024, 0)} → ${fmt(after / 1024, 0)} MiB`],
    ['KiB per connection (Δ RSS / connections)', fmt((after - before) / Math.max(1, r.established), 2)],
    ['KiB per connection (total RSS / connections)', `${fmt(after / Math.max(1, r.established), 2)} (goal ≤ 20)`],
    ['dropped during the hold (client side)', `${fmt(sum(Object.values(drops)))} ${JSON.stringify(drops)}`],
    ['broker heart-beat timeouts during the hold', fmt(r.hbTimeouts)],
    ['server heart-beat silences > 1.5× / > 2× period', `${fmt(sum(r.reports.map((x) => x.late)))} / ${fmt(sum(r.reports.map((x) => x.missed)))}`],
    ['longest silence from the server, ms', fmt(Math.max(...r.reports.map((x) => x.maxGapMs)), 0)],
    ['broker CPU while idle (all processes)', `${fmt(r.brokerCores, 3)} cores, ${fmt(r.usPerBeat, 1)} µs per heart-beat (in + out)`],
    ['load generators', `${fmt(r.genCores, 3)} cores, RSS ${fmt(r.genRssKiB / 1024, 0)} MiB`],
  ]));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
