import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff';

describe('backoffMs', () => {
  it('doubles from baseMs and stops at maxMs', () => {
    const exact = { baseMs: 50, maxMs: 2_000, jitter: 0 };
    expect([0, 1, 2, 5, 6, 50].map((a) => backoffMs(a, exact))).toEqual([50, 100, 200, 1_600, 2_000, 2_000]);
  });

  it('spreads by the jitter and never exceeds maxMs', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffMs(2, { baseMs: 100, maxMs: 1_000 });
      expect(d).toBeGreaterThanOrEqual(320);
      expect(d).toBeLessThanOrEqual(480);
      expect(backoffMs(10, { baseMs: 100, maxMs: 1_000 })).toBeLessThanOrEqual(1_000);
    }
  });
});
