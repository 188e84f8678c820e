import { describe, expect, it } from 'vitest';
import { backgroundPacing, judgeStep, nextRate, sustainableRate, wholeIntervals, type SearchPlan, type SearchStep } from './cluster-search';

const flat = (n: number, ms: number) => Array.from({ length: n }, (_, i) => ms + (i % 10));

describe('judgeStep', () => {
  // 300 senders × 20 SENDs scheduled over 5 s (one every 250 ms), rooms of 6.
  const counts = (sent: number, deliveredAtStop: number) => ({ scheduled: 6000, sent, perMessage: 6, deliveredAtStop, durationMs: 5000, intervalMs: 250 });
  const all = counts(6000, 36_000);

  it('holds when everything scheduled was sent and delivered, and latency stays level', () => {
    const v = judgeStep(all, flat(1000, 20));
    expect(v.sustained).toBe(true);
    expect(v.why).toBe('held');
    expect(v.offeredRatio).toBe(1);
    expect(v.deliveredRatio).toBe(1);
  });

  it('fails when the nodes were behind at the stop by more than the last burst + 3 % of the step', () => {
    const v = judgeStep(counts(6000, 36_000 * 0.487), flat(1000, 20));
    expect(v.sustained).toBe(false);
    expect(v.behindMs).toBeCloseTo(2565, 0);
    expect(v.why).toMatch(/2565 ms of sending undelivered at the stop \(48\.7 % delivered\)/);
    // 250 ms + 150 ms allowed: the last burst still in flight passes, a little more fails
    expect(v.allowedBehindMs).toBe(400);
    expect(judgeStep(counts(6000, 36_000 - 1800 - 1000), flat(1000, 20)).sustained).toBe(true);
    expect(judgeStep(counts(6000, 36_000 - 1800 - 1200 - 100), flat(1000, 20)).sustained).toBe(false);
  });

  it('fails when the load generator could not keep the schedule (no core for its timers)', () => {
    const v = judgeStep(counts(5000, 30_000), flat(1000, 20));
    expect(v.sustained).toBe(false);
    expect(v.why).toMatch(/load generator sent 83\.3 % of the schedule/);
  });

  it('fails when latency climbs over the step though the counts still look fine (a backlog growing)', () => {
    const climbing = Array.from({ length: 1000 }, (_, i) => 10 + i * 0.2); // 10 → 210 ms
    const v = judgeStep(all, climbing);
    expect(v.sustained).toBe(false);
    expect(v.p50Second).toBeGreaterThan(v.p50First * 1.5 + 50);
    expect(v.why).toMatch(/probe p50 grew 60 → 160 ms \(limit 140\)/);
  });

  it('lets the median move by 1 % of the step (at least 10 ms): other work shifts it by tens of ms', () => {
    // 5 s step: 1.5 × 12 + 50 = 68 ms allowed
    expect(judgeStep(all, [...flat(500, 12).map(() => 12), ...flat(500, 60).map(() => 60)]).sustained).toBe(true);
    expect(judgeStep(all, [...flat(500, 12).map(() => 12), ...flat(500, 70).map(() => 70)]).sustained).toBe(false);
    // a 1 s step: the 10 ms floor
    const short = { ...all, durationMs: 1000 };
    expect(judgeStep(short, [...Array(100).fill(12), ...Array(100).fill(28)]).sustained).toBe(true);
    expect(judgeStep(short, [...Array(100).fill(12), ...Array(100).fill(29)]).sustained).toBe(false);
  });

  it('ignores a heavier tail in one half (other work on a shared machine) while the median holds', () => {
    const lat = [...flat(500, 20), ...flat(500, 20).map((x, i) => (i % 20 === 0 ? 400 : x))];
    const v = judgeStep(all, lat);
    expect(v.p99Second).toBeGreaterThan(v.p99First * 1.5 + 10);
    expect(v.sustained).toBe(true);
  });

  it('counts probe messages that never arrived against their half', () => {
    const lat = [...flat(500, 20), ...flat(200, 20), ...Array(300).fill(Infinity)];
    expect(judgeStep(all, lat).sustained).toBe(false);
  });

  it('judges on the counts alone when the probe is too short', () => {
    expect(judgeStep(all, [1, 500]).sustained).toBe(true);
  });
});

describe('nextRate', () => {
  const plan: SearchPlan = { start: 10_000, ceiling: 20_000, maxSteps: 6, precision: 0.1, minRate: 500 };
  const step = (aimedPerSec: number, sustained: boolean, deliveredPerSec = aimedPerSec): SearchStep => ({ aimedPerSec, deliveredPerSec, sustained });

  it('starts at half the capacity', () => {
    expect(nextRate([], plan)).toBe(10_000);
  });

  it('steps down while steps fail, by 0.7 or to 0.9 of what an overloaded step delivered', () => {
    expect(nextRate([step(10_000, false, 9_800)], plan)).toBe(7_000);
    expect(nextRate([step(10_000, false, 5_000)], plan)).toBe(4_500);
    // an overloaded step delivering almost nothing does not collapse the search
    expect(nextRate([step(10_000, false, 100)], plan)).toBe(3_000);
  });

  it('goes up towards the ceiling while steps hold', () => {
    expect(nextRate([step(10_000, true)], plan)).toBeCloseTo(Math.sqrt(10_000 * 20_000), 6);
  });

  it('bisects between the highest held and the lowest failed rate, ignoring failures below a held rate', () => {
    const r = nextRate([step(10_000, false), step(7_000, true), step(5_000, false)], plan);
    expect(r).toBeCloseTo(Math.sqrt(7_000 * 10_000), 6);
  });

  it('stops when the bracket is narrow, the step budget is spent, or the rate gets too low', () => {
    expect(nextRate([step(10_000, false), step(9_500, true)], plan)).toBeNull();
    expect(nextRate(Array.from({ length: 6 }, (_, i) => step(10_000 - i * 1_000, false)), plan)).toBeNull();
    expect(nextRate([step(600, false, 100)], plan)).toBeNull();
  });

  it('stops when the realized rate was already tried (whole-ms intervals)', () => {
    const coarse = (r: number) => (r > 9_000 ? 10_000 : 8_000);
    expect(nextRate([step(10_000, true)], { ...plan, realize: coarse })).toBeNull();
    const realize = (r: number) => backgroundPacing(r, 300, 6).aimedPerSec;
    expect(nextRate([step(realize(1e9), true)], { ...plan, ceiling: 1e9, realize })).toBeNull();
  });

  it('reports the highest held rate as the sustainable one', () => {
    expect(sustainableRate([step(10_000, false), step(7_000, true), step(8_300, true), step(9_100, false)])).toBe(8_300);
    expect(sustainableRate([step(10_000, false)])).toBeNull();
  });
});

describe('backgroundPacing', () => {
  it('rounds the sender interval to whole ms and says what that aims at', () => {
    expect(backgroundPacing(10_000, 300, 6)).toEqual({ intervalMs: 180, aimedPerSec: 10_000 });
    const p = backgroundPacing(9_000, 300, 6); // 200 ms
    expect(p.intervalMs).toBe(200);
    expect(p.aimedPerSec).toBe(9_000);
    expect(backgroundPacing(7_777, 300, 6).intervalMs).toBe(231);
    expect(backgroundPacing(1e9, 300, 6)).toEqual({ intervalMs: 1, aimedPerSec: 1_800_000 });
  });
});

describe('wholeIntervals', () => {
  it('cuts a run to whole sender intervals, at least a few', () => {
    expect(wholeIntervals(3000, 409)).toEqual({ durationMs: 2863, ticks: 7 });
    expect(wholeIntervals(5000, 180)).toEqual({ durationMs: 5040, ticks: 28 });
    expect(wholeIntervals(3000, 1168)).toEqual({ durationMs: 4672, ticks: 4 });
  });
});
