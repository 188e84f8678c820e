import { describe, expect, it } from 'vitest';
import { pairedDifferences, percentile, slowerOfTwo, summarize } from './cluster-latency';

describe('percentile', () => {
  it('is nearest-rank over unsorted input, NaN when empty', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile(xs, 50)).toBe(51);
    expect(percentile(xs, 99)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('per-message difference', () => {
  it('pairs the same message at both subscribers and skips messages one of them missed', () => {
    const s = { same: [10, 20, NaN, 40], cross: [12, 25, 30, NaN] };
    expect(pairedDifferences(s)).toEqual([2, 5]);
  });

  it('removes queueing both deliveries share', () => {
    // Every message is delayed by the sender's node the same amount (a long tail: 1 % near
    // 200 ms); crossing adds 2-3 ms. Message by message the shared delay cancels.
    const shared = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? 200 + i / 10 : 1 + (i % 7)));
    const same = shared.map((x, i) => x + (i % 2));
    const cross = shared.map((x) => x + 3);
    const r = summarize({ same, cross });
    expect(r.perMessage.p50).toBeGreaterThanOrEqual(2);
    expect(r.perMessage.p99).toBeLessThanOrEqual(3);
    expect(r.perMessage.n).toBe(1000);
    expect(r.same.p99).toBeGreaterThanOrEqual(200);
    expect(r.percentileDiff.p99).toBe(r.cross.p99 - r.same.p99);
    expect(r.sent).toBe(1000);
  });

  it('counts deliveries per side and keeps lost messages out of both', () => {
    const r = summarize({ same: [1, NaN, 3], cross: [2, 4, NaN] });
    expect(r.same.n).toBe(2);
    expect(r.cross.n).toBe(2);
    expect(r.perMessage.n).toBe(1);
    expect(r.sent).toBe(3);
  });
});

describe('slowerOfTwo', () => {
  it('takes the later delivery, Infinity when one never came', () => {
    expect(slowerOfTwo({ same: [1, 9, NaN], cross: [4, 2, 3] })).toEqual([4, 9, Infinity]);
  });
});
