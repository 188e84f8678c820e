/**
 * The end-of-run report: one plain object (what `--json` writes) and its table rendering.
 * Latency is end-to-end (SEND timestamp in the body → MESSAGE arrival), in milliseconds.
 */
import type { LoadOptions } from '../cli/options';
import type { HistogramSummary } from './histogram';
import type { KindCounts, MergedResult } from './counters';

export interface Measurements {
  setupMs: number;
  /** go → delivered (send, receive, drain). */
  runMs: number;
  /** Time over which deliveries/s is computed. */
  rateWindowMs: number;
  loadgenCpuMs: number;
  brokerCpuMs?: number;
  /** Run-queue wait of the busiest thread(s) (event loops), from schedstat. */
  brokerWaitMs?: number;
  loadgenWaitMs?: number;
  brokerRssBeforeKiB?: number;
  brokerRssAfterKiB?: number;
  brokerFdsAfter?: number;
  loadgenRssKiB: number;
  aborted: boolean;
}

export interface LoadReport {
  scenario: LoadOptions['scenario'];
  url: string;
  runId: string;
  users: number;
  roomSize: number;
  sendersPerRoom: number;
  messages: number;
  window: number;
  workers: number;
  connected: number;
  subscribed: number;
  sent: number;
  cycles: number;
  connectMs: HistogramSummary;
  subscribeMs: HistogramSummary;
  latencyMs: HistogramSummary;
  sendReceiptMs: HistogramSummary;
  cycleMs: HistogramSummary;
  deliveries: {
    planned: number;
    expected: number;
    received: number;
    unique: number;
    lost: number;
    duplicated: number;
    outOfOrder: number;
    foreign: number;
    perSec: number;
  };
  errors: KindCounts;
  errorTotal: number;
  warnings: KindCounts;
  setupMs: number;
  runMs: number;
  cpu: {
    loadgenMs: number;
    /** Average cores the load generator kept busy during the run phase. */
    loadgenCores: number;
    brokerMs?: number;
    brokerCores?: number;
    brokerUsPerDelivery?: number;
    /** ms its threads were runnable but waited for a core: other load on the machine. */
    loadgenWaitMs?: number;
    brokerWaitMs?: number;
  };
  memory: {
    loadgenRssKiB: number;
    brokerRssBeforeKiB?: number;
    brokerRssAfterKiB?: number;
    brokerKiBPerConnection?: number;
    brokerFds?: number;
  };
  aborted: boolean;
}

const toMs = (s: HistogramSummary): HistogramSummary => ({
  count: s.count, avg: s.avg / 1000, min: s.min / 1000, p50: s.p50 / 1000, p95: s.p95 / 1000, p99: s.p99 / 1000, max: s.max / 1000,
});

export function buildReport(o: LoadOptions, workers: number, r: MergedResult, m: Measurements): LoadReport {
  const delivered = o.scenario === 'throughput' ? r.receivedAtStop : r.received;
  const perSec = m.rateWindowMs > 0 ? (delivered * 1000) / m.rateWindowMs : 0;
  const errorTotal = Object.values(r.errors).reduce((a, b) => a + b, 0);
  const cpu: LoadReport['cpu'] = {
    loadgenMs: m.loadgenCpuMs,
    loadgenCores: m.runMs > 0 ? m.loadgenCpuMs / m.runMs : 0,
    loadgenWaitMs: m.loadgenWaitMs,
  };
  if (m.brokerCpuMs !== undefined) {
    cpu.brokerMs = m.brokerCpuMs;
    cpu.brokerWaitMs = m.brokerWaitMs;
    cpu.brokerCores = m.runMs > 0 ? m.brokerCpuMs / m.runMs : 0;
    if (r.received > 0) cpu.brokerUsPerDelivery = (m.brokerCpuMs * 1000) / r.received;
  }
  const memory: LoadReport['memory'] = { loadgenRssKiB: m.loadgenRssKiB };
  if (m.brokerRssBeforeKiB !== undefined) {
    memory.brokerRssBeforeKiB = m.brokerRssBeforeKiB;
    memory.brokerRssAfterKiB = m.brokerRssAfterKiB;
    memory.brokerFds = m.brokerFdsAfter;
    if (m.brokerRssAfterKiB !== undefined && r.connected > 0) {
      memory.brokerKiBPerConnection = (m.brokerRssAfterKiB - m.brokerRssBeforeKiB) / r.connected;
    }
  }
  return {
    scenario: o.scenario,
    url: o.url,
    runId: o.runId,
    users: o.users,
    roomSize: o.roomSize,
    sendersPerRoom: o.sendersPerRoom,
    messages: o.messages,
    window: o.window,
    workers,
    connected: r.connected,
    subscribed: r.subscribed,
    sent: r.sent,
    cycles: r.cycles,
    connectMs: r.connectMs.summary(),
    subscribeMs: r.subscribeMs.summary(),
    latencyMs: toMs(r.latencyUs.summary()),
    sendReceiptMs: toMs(r.receiptUs.summary()),
    cycleMs: r.cycleMs.summary(),
    deliveries: {
      planned: r.planned,
      expected: r.expected,
      received: r.received,
      unique: r.unique,
      lost: Math.max(0, r.expected - r.unique),
      duplicated: r.duplicated,
      outOfOrder: r.outOfOrder,
      foreign: r.foreign,
      perSec,
    },
    errors: r.errors,
    errorTotal,
    warnings: r.warnings,
    setupMs: m.setupMs,
    runMs: m.runMs,
    cpu,
    memory,
    aborted: m.aborted,
  };
}

/** True when the run met the contract: every member got every message once, in order, no errors. */
export function runPassed(r: LoadReport): boolean {
  const d = r.deliveries;
  return !r.aborted && r.errorTotal === 0 && d.lost === 0 && d.duplicated === 0 && d.outOfOrder === 0;
}

// ------------------------------------------------------------------ rendering

export function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100_000 || digits === 0 || Number.isInteger(n)) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

const dist = (s: HistogramSummary, unit: string) =>
  s.count === 0 ? '-' : `avg ${fmt(s.avg)} p50 ${fmt(s.p50)} p95 ${fmt(s.p95)} p99 ${fmt(s.p99)} max ${fmt(s.max)} ${unit}`;

const kinds = (k: KindCounts) => {
  const e = Object.entries(k).sort((a, b) => b[1] - a[1]);
  return e.length === 0 ? 'none' : e.map(([n, c]) => `${n}=${c}`).join(', ');
};

/** Two-column table, one fact a row. */
export function renderReport(r: LoadReport): string {
  const d = r.deliveries;
  const rows: Array<[string, string]> = [
    ['scenario', `${r.scenario}  ${r.url}  run ${r.runId}${r.aborted ? '  (ABORTED at hard timeout)' : ''}`],
    [
      'users',
      `${fmt(r.users)} (rooms of ${r.roomSize}, ${r.sendersPerRoom} sender(s)), ` +
        (r.scenario === 'churn' ? `connections opened ${fmt(r.connected)}` : `connected ${fmt(r.connected)}, subscribed ${fmt(r.subscribed)}`) +
        `; ${r.workers} worker thread(s)`,
    ],
    ['connect time', dist(r.connectMs, 'ms')],
    ['subscribe receipt', dist(r.subscribeMs, 'ms')],
  ];
  if (r.scenario === 'rooms' || r.scenario === 'throughput') {
    rows.push(
      ['end-to-end latency', dist(r.latencyMs, 'ms')],
      ['deliveries/s', fmt(d.perSec, 0)],
      ['sent', fmt(r.sent)],
      ['expected / received', `${fmt(d.expected)} / ${fmt(d.unique)} unique (${fmt(d.received)} frames)${r.scenario === 'rooms' ? `, plan ${fmt(d.planned)}` : ''}`],
      ['lost', fmt(d.lost)],
      ['duplicated', fmt(d.duplicated)],
      ['out of order', `${fmt(d.outOfOrder)} (per sender)`],
    );
    if (d.foreign) rows.push(['foreign frames', fmt(d.foreign)]);
    if (r.sendReceiptMs.count) rows.push(['SEND receipt', dist(r.sendReceiptMs, 'ms')]);
  }
  if (r.scenario === 'churn') rows.push(['cycles', `${fmt(r.cycles)}; ${dist(r.cycleMs, 'ms')}`]);
  rows.push(['errors', `${fmt(r.errorTotal)}: ${kinds(r.errors)}`]);
  if (Object.keys(r.warnings).length) rows.push(['warnings', kinds(r.warnings)]);
  rows.push(['time', `setup ${fmt(r.setupMs / 1000, 2)} s, run ${fmt(r.runMs / 1000, 2)} s`]);
  const c = r.cpu;
  rows.push([
    'CPU (run phase)',
    `load generator ${fmt(c.loadgenMs, 0)} ms (${fmt(c.loadgenCores, 2)} cores)` +
      (c.brokerMs !== undefined
        ? `, broker ${fmt(c.brokerMs, 0)} ms (${fmt(c.brokerCores, 2)} cores${c.brokerUsPerDelivery !== undefined ? `, ${fmt(c.brokerUsPerDelivery, 2)} µs/delivery` : ''})`
        : ''),
  ]);
  if (c.loadgenWaitMs !== undefined) {
    rows.push([
      'waited for a core',
      `load generator ${fmt(c.loadgenWaitMs, 0)} ms` + (c.brokerWaitMs !== undefined ? `, broker ${fmt(c.brokerWaitMs, 0)} ms` : '') +
        ` of ${fmt(r.runMs, 0)} ms (busiest threads runnable but not running: other load on this machine)`,
    ]);
  }
  const mem = r.memory;
  rows.push([
    'memory',
    `load generator RSS ${fmt(mem.loadgenRssKiB / 1024, 0)} MiB` +
      (mem.brokerRssBeforeKiB !== undefined
        ? `, broker RSS ${fmt(mem.brokerRssBeforeKiB / 1024, 1)} → ${fmt((mem.brokerRssAfterKiB ?? NaN) / 1024, 1)} MiB` +
          (mem.brokerKiBPerConnection !== undefined ? ` (${fmt(mem.brokerKiBPerConnection, 1)} KiB/connection)` : '')
        : ''),
  ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
