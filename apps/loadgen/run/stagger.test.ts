import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../cli/options';
import { staggerOffset } from './slice';

describe('staggered senders', () => {
  it('spreads 300 senders over one interval: every tenth of it starts about a tenth of them', () => {
    const interval = 684;
    const tenths = new Array(10).fill(0);
    for (let n = 0; n < 300; n++) {
      const at = staggerOffset(n, interval);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(interval);
      tenths[Math.floor((at * 10) / interval)]++;
    }
    for (const t of tenths) expect(Math.abs(t - 30)).toBeLessThanOrEqual(3);
  });

  it('spreads any run of consecutive sender numbers (one worker thread holds a slice of them)', () => {
    const halves = [0, 0];
    for (let n = 1000; n < 1050; n++) halves[staggerOffset(n, 100) < 50 ? 0 : 1]++;
    expect(Math.abs(halves[0] - halves[1])).toBeLessThanOrEqual(4);
  });

  it('is off unless asked for', () => {
    const off = parseLoadArgs(['--interval', '100']);
    const on = parseLoadArgs(['--interval', '100', '--stagger']);
    expect(!off.help && off.options.stagger).toBe(false);
    expect(!on.help && on.options.stagger).toBe(true);
  });
});
