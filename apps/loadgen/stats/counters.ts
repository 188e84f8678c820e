/**
 * What one slice (a worker thread or the main thread) measured. Everything is plain data
 * so it crosses `postMessage`; `mergeSliceResults` adds slices up.
 */
import { Histogram, type HistogramData } from './histogram';

/** Counts by short kind, e.g. `connect-ECONNREFUSED`, `stomp-error-forbidden`, `read-timeout`. */
export type KindCounts = Record<string, number>;

export function addKind(into: KindCounts, kind: string, n = 1): void {
  into[kind] = (into[kind] ?? 0) + n;
}

export interface Progress {
  connected: number;
  subscribed: number;
  sent: number;
  received: number;
  errors: number;
  /** churn: finished cycles. */
  cycles: number;
}

export interface SliceResult {
  users: number;
  /** Users whose CONNECT succeeded at least once. */
  connected: number;
  subscribed: number;
  sent: number;
  /** SEND receipts received (with --send-receipts). */
  sendReceipts: number;
  /** Deliveries the plan calls for (rooms scenario), counted for all users. */
  planned: number;
  /** Deliveries owed to subscribed members for what was actually sent. */
  expected: number;
  /** MESSAGE frames carrying this run's payload. */
  received: number;
  unique: number;
  duplicated: number;
  outOfOrder: number;
  /** MESSAGE frames that were not this run's payload. */
  foreign: number;
  /** received at the moment `stop` arrived (throughput). */
  receivedAtStop: number;
  cycles: number;
  /** Wall clock (ms since epoch) of the first SEND and the last delivery. */
  firstSendAt: number;
  lastReceiveAt: number;
  connectMs: HistogramData;
  subscribeMs: HistogramData;
  latencyUs: HistogramData;
  receiptUs: HistogramData;
  cycleMs: HistogramData;
  errors: KindCounts;
  warnings: KindCounts;
}

export interface MergedResult extends Omit<SliceResult, 'connectMs' | 'subscribeMs' | 'latencyUs' | 'receiptUs' | 'cycleMs'> {
  connectMs: Histogram;
  subscribeMs: Histogram;
  latencyUs: Histogram;
  receiptUs: Histogram;
  cycleMs: Histogram;
}

const SUMMED = [
  'users', 'connected', 'subscribed', 'sent', 'sendReceipts', 'planned', 'expected', 'received', 'unique',
  'duplicated', 'outOfOrder', 'foreign', 'receivedAtStop', 'cycles',
] as const;

export function mergeSliceResults(slices: SliceResult[]): MergedResult {
  const m: MergedResult = {
    users: 0, connected: 0, subscribed: 0, sent: 0, sendReceipts: 0, planned: 0, expected: 0, received: 0,
    unique: 0, duplicated: 0, outOfOrder: 0, foreign: 0, receivedAtStop: 0, cycles: 0,
    firstSendAt: Infinity, lastReceiveAt: 0,
    connectMs: new Histogram(), subscribeMs: new Histogram(), latencyUs: new Histogram(),
    receiptUs: new Histogram(), cycleMs: new Histogram(), errors: {}, warnings: {},
  };
  for (const s of slices) {
    for (const k of SUMMED) m[k] += s[k];
    m.firstSendAt = Math.min(m.firstSendAt, s.firstSendAt);
    m.lastReceiveAt = Math.max(m.lastReceiveAt, s.lastReceiveAt);
    m.connectMs.merge(s.connectMs);
    m.subscribeMs.merge(s.subscribeMs);
    m.latencyUs.merge(s.latencyUs);
    m.receiptUs.merge(s.receiptUs);
    m.cycleMs.merge(s.cycleMs);
    for (const [k, n] of Object.entries(s.errors)) addKind(m.errors, k, n);
    for (const [k, n] of Object.entries(s.warnings)) addKind(m.warnings, k, n);
  }
  return m;
}
