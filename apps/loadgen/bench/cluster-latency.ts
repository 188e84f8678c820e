/**
 * bench:cluster's latency arithmetic (no I/O): the probe's samples, their percentiles, and the
 * two ways of stating what crossing nodes adds.
 *   - difference of percentiles: cross p99 − same p99, each over its own deliveries;
 *   - per-message difference: for each probe message delivered to both subscribers, cross − same
 *     of that one message, then its percentiles. Queueing both deliveries share (the sender's
 *     node accepting the SEND, the probe's own event loop) cancels out of it.
 */

/** Latency (ms) of probe message i at the subscriber on the sender's node and at the one on the other node; NaN = never arrived. */
export interface LatencySamples {
  same: number[];
  cross: number[];
}

export const arrived = (xs: number[]): number[] => xs.filter((x) => !Number.isNaN(x));

/** Nearest-rank percentile of the values given (NaN when empty); unsorted input is fine. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** cross − same for every message that reached both subscribers, in send order. */
export function pairedDifferences(s: LatencySamples): number[] {
  const out: number[] = [];
  const n = Math.min(s.same.length, s.cross.length);
  for (let i = 0; i < n; i++) if (!Number.isNaN(s.same[i]) && !Number.isNaN(s.cross[i])) out.push(s.cross[i] - s.same[i]);
  return out;
}

/** Per message, the later of its two deliveries (Infinity if either never came): how far behind the nodes are. */
export function slowerOfTwo(s: LatencySamples): number[] {
  const n = Math.max(s.same.length, s.cross.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = [s.same[i] ?? NaN, s.cross[i] ?? NaN];
    out.push(Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.max(a, b));
  }
  return out;
}

export interface LatencySummary {
  sent: number;
  same: { p50: number; p99: number; n: number };
  cross: { p50: number; p99: number; n: number };
  /** cross percentile − same percentile, each over its own deliveries. */
  percentileDiff: { p50: number; p99: number };
  /** Percentiles of cross − same taken message by message. */
  perMessage: { p50: number; p99: number; n: number };
}

export function summarize(s: LatencySamples): LatencySummary {
  const [same, cross, diffs] = [arrived(s.same), arrived(s.cross), pairedDifferences(s)];
  const at = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });
  const [sa, cr] = [at(same), at(cross)];
  return {
    sent: Math.max(s.same.length, s.cross.length),
    same: sa,
    cross: cr,
    percentileDiff: { p50: cr.p50 - sa.p50, p99: cr.p99 - sa.p99 },
    perMessage: at(diffs),
  };
}
