/**
 * bench:cluster's search for the sustainable open-loop rate (no I/O): the background load's
 * rate per step, whether a step was sustained, and which rate to try next.
 *
 * The closed-loop capacity of (a) is not a rate an open-loop background can hold: a sender with
 * a window waits when the nodes are behind, an open-loop one does not, so a backlog grows and the
 * latency probe then measures that queue. A step holds when
 *   - the load generator sent about what the schedule asked: each sender's timer is re-armed
 *     after its SEND, so a tick's whole burst drifts later every interval and the last tick of a
 *     step may fall past its end (a few % short is normal); far short means it had no core;
 *   - the nodes were not behind at the end of the step: what was sent and not yet delivered is
 *     at most the last burst (one sender interval of sending, which may still be in flight when
 *     latency on a busy machine exceeds the interval) plus 3 % of the step;
 *   - the probe's median did not climb from the first half of the step to the second: a growing
 *     backlog delays every message, so it moves the median, while other work on a shared
 *     machine mostly moves the tail (p99 halves are shown, not judged). Nodes delivering 2 %
 *     less than offered add 2 % of the elapsed time to every latency, so between the halves'
 *     medians 1 % of the step: that much (at least 10 ms) above 1.5 × the first half fails.
 */
import { percentile } from './cluster-latency';

export interface StepRule {
  /** sent / scheduled SENDs at least this. */
  minOfferedRatio: number;
  /** Undelivered at the stop, as time of sending: at most one sender interval + this share of the step. */
  behindShare: number;
  /** p50 of the second half at most growth × p50 of the first half + max(slackMs, slackShare × step). */
  p50Growth: number;
  p50SlackMs: number;
  p50SlackShare: number;
  /** Fewer probe messages than this per half: judge on the counts alone. */
  minSamplesPerHalf: number;
}

export const STEP_RULE: StepRule = { minOfferedRatio: 0.9, behindShare: 0.03, p50Growth: 1.5, p50SlackMs: 10, p50SlackShare: 0.01, minSamplesPerHalf: 20 };

export interface StepCounts {
  /** SENDs the schedule asked for in the step, and SENDs made. */
  scheduled: number;
  sent: number;
  /** Deliveries each message makes (room members). */
  perMessage: number;
  /** Deliveries received by the end of the step. */
  deliveredAtStop: number;
  durationMs: number;
  intervalMs: number;
}

export interface StepVerdict {
  sustained: boolean;
  offeredRatio: number;
  deliveredRatio: number;
  /** Sent but not delivered at the stop, in ms of the step's sending rate. */
  behindMs: number;
  allowedBehindMs: number;
  /** The probe's slower delivery per message (ms), first and second half of the step (send order). */
  p50First: number;
  p50Second: number;
  p99First: number;
  p99Second: number;
  why: string;
}

/**
 * Judges one step. `latencies` are the probe's per-message latencies in send order (Infinity
 * for a message that never arrived, which then counts as the slowest of its half).
 */
export function judgeStep(c: StepCounts, latencies: number[], rule: StepRule = STEP_RULE): StepVerdict {
  const offeredRatio = c.scheduled > 0 ? c.sent / c.scheduled : NaN;
  const deliveredRatio = c.sent > 0 ? c.deliveredAtStop / (c.sent * c.perMessage) : NaN;
  const behindMs = (1 - deliveredRatio) * c.durationMs;
  const allowedBehindMs = c.intervalMs + rule.behindShare * c.durationMs;
  const half = Math.floor(latencies.length / 2);
  const [first, second] = [latencies.slice(0, half), latencies.slice(half)];
  const [p50First, p50Second, p99First, p99Second] = [percentile(first, 50), percentile(second, 50), percentile(first, 99), percentile(second, 99)];
  const reasons: string[] = [];
  if (!(offeredRatio >= rule.minOfferedRatio)) reasons.push(`load generator sent ${pct(offeredRatio)} of the schedule`);
  if (!(behindMs <= allowedBehindMs)) reasons.push(`${fmtMs(behindMs)} ms of sending undelivered at the stop (${pct(deliveredRatio)} delivered)`);
  const p50Limit = rule.p50Growth * p50First + Math.max(rule.p50SlackMs, rule.p50SlackShare * c.durationMs);
  if (half >= rule.minSamplesPerHalf && !(p50Second <= p50Limit)) {
    reasons.push(`probe p50 grew ${fmtMs(p50First)} → ${fmtMs(p50Second)} ms (limit ${fmtMs(p50Limit)})`);
  }
  return { sustained: reasons.length === 0, offeredRatio, deliveredRatio, behindMs, allowedBehindMs, p50First, p50Second, p99First, p99Second, why: reasons.join('; ') || 'held' };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const fmtMs = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : String(x));

export interface SearchStep {
  aimedPerSec: number;
  deliveredPerSec: number;
  sustained: boolean;
}

export interface SearchPlan {
  /** First rate tried (half the closed-loop capacity). */
  start: number;
  /** Never aim above this (the closed-loop capacity: an open loop cannot beat it). */
  ceiling: number;
  /** Steps at most, including the first. */
  maxSteps: number;
  /** Stop once the highest sustained and the lowest failed rate are within this fraction. */
  precision: number;
  /** Below this, give up (the machine is too busy to say anything). */
  minRate: number;
  /** The rate a step would really aim at for a wanted one (the sender interval is whole ms). */
  realize?: (rate: number) => number;
}

/** The highest rate held, or null when no step held. */
export function sustainableRate(steps: SearchStep[]): number | null {
  const held = steps.filter((s) => s.sustained).map((s) => s.aimedPerSec);
  return held.length ? Math.max(...held) : null;
}

/**
 * The next rate to try, or null when the search is over. Down from the start while steps fail
 * (to 0.7 of the failed rate, or 0.9 of what it did deliver if that is lower: an overloaded step
 * delivers about what the nodes can), up towards the ceiling while they hold, then bisection
 * (geometric) between the highest held and the lowest failed rate.
 */
export function nextRate(steps: SearchStep[], plan: SearchPlan): number | null {
  const realize = plan.realize ?? ((r: number) => r);
  if (steps.length === 0) return realize(plan.start);
  if (steps.length >= plan.maxSteps) return null;
  const lo = sustainableRate(steps);
  const failed = steps.filter((s) => !s.sustained && (lo === null || s.aimedPerSec > lo));
  const hiStep = failed.length ? failed.reduce((a, b) => (b.aimedPerSec < a.aimedPerSec ? b : a)) : null;
  let want: number;
  if (lo === null) {
    const h = hiStep!;
    want = Math.max(0.3 * h.aimedPerSec, Math.min(0.7 * h.aimedPerSec, 0.9 * h.deliveredPerSec));
  } else {
    const hi = hiStep ? hiStep.aimedPerSec : plan.ceiling;
    if (hi / lo <= 1 + plan.precision) return null;
    want = Math.sqrt(lo * hi);
  }
  if (want < plan.minRate) return null;
  const rate = realize(Math.min(want, plan.ceiling));
  if (steps.some((s) => s.aimedPerSec === rate)) return null;
  return rate;
}

/**
 * The open-loop background: `senders` each sending every `intervalMs` (whole ms), each message
 * delivered `perMessage` times. The interval for a wanted deliveries/s, and the rate it really aims at.
 */
export function backgroundPacing(rate: number, senders: number, perMessage: number): { intervalMs: number; aimedPerSec: number } {
  const intervalMs = Math.max(1, Math.round((senders * perMessage * 1000) / rate));
  return { intervalMs, aimedPerSec: (senders * perMessage * 1000) / intervalMs };
}

/**
 * A run of about `wantMs` cut to whole sender intervals (at least `minTicks`): every sender
 * sends at 0, I, 2I, … so a run of n·I holds exactly n SENDs per sender, and the last one has
 * a whole interval to arrive before the run ends.
 */
export function wholeIntervals(wantMs: number, intervalMs: number, minTicks = 4): { durationMs: number; ticks: number } {
  const ticks = Math.max(minTicks, Math.round(wantMs / intervalMs));
  return { durationMs: ticks * intervalMs, ticks };
}
