import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpiryTimer } from './expiry-timer';

afterEach(() => vi.useRealTimers());

describe('ExpiryTimer', () => {
  it('fires at the deadline, not before; cancel stops it', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    new ExpiryTimer(Date.now() + 1000, () => fired.push('a'));
    new ExpiryTimer(Date.now() + 1000, () => fired.push('b')).cancel();
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
  });

  it('reaches a deadline beyond setTimeout\'s 2^31-1 ms in steps, firing once', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const days40 = 40 * 24 * 3600 * 1000;
    new ExpiryTimer(Date.now() + days40, () => fired.push(Date.now()));
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(days40);
    expect(fired.length).toBe(1);
  });

  it('fires on the next turn for a deadline already past', async () => {
    let fired = false;
    new ExpiryTimer(Date.now() - 5000, () => (fired = true));
    expect(fired).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(true);
  });
});
