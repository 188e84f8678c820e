import { describe, expect, it } from 'vitest';
import { bucketOf, bucketRange, Histogram } from './histogram';

describe('Histogram', () => {
  it('is exact for small values', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(95)).toBe(95);
    expect(h.percentile(99)).toBe(99);
    expect(h.summary()).toMatchObject({ count: 100, min: 1, max: 100, avg: 50.5 });
  });

  it('stays within 1% for large values', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = Math.floor(1000 + ((i * 7919) % 10_000) * 97.3);
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 95, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1];
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.percentile(100)).toBe(values[values.length - 1]);
  });

  it('maps every value into the bucket whose range contains it', () => {
    for (const v of [0, 1, 255, 256, 257, 511, 512, 1023, 1024, 123_456, 2 ** 31, 2 ** 33 + 5]) {
      const [lo, hi] = bucketRange(bucketOf(v));
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    }
  });

  it('merges and round-trips through JSON', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 50; i++) a.record(i);
    for (let i = 50; i < 100; i++) b.record(i * 1000);
    const m = Histogram.from(JSON.parse(JSON.stringify(a.toJSON())));
    m.merge(b.toJSON());
    expect(m.count).toBe(100);
    expect(m.min).toBe(0);
    expect(m.max).toBe(99_000);
    expect(m.percentile(50)).toBe(49);
    expect(Math.abs(m.percentile(75) - 74_000) / 74_000).toBeLessThan(0.01);
  });

  it('treats negatives and NaN as zero and reports NaN when empty', () => {
    const h = new Histogram();
    expect(Number.isNaN(h.summary().p99)).toBe(true);
    h.record(-5);
    h.record(NaN);
    expect(h.max).toBe(0);
  });
});
