import { describe, expect, it } from 'vitest';
import { SendRate } from './send-rate';

describe('SendRate', () => {
  it('allows a burst, then one SEND per 1/rate seconds, answering the wait instead of refusing', () => {
    let t = 0;
    const r = new SendRate(10, 3, () => t);
    expect([r.take(), r.take(), r.take()]).toEqual([0, 0, 0]);
    expect(r.take()).toBe(100);
    // The wait was served: the debt is repaid and the next token is 100 ms further on.
    t = 100;
    expect(r.take()).toBe(100);
    t = 1_000;
    expect(r.take()).toBe(0);
  });

  it('averages to the rate over a long run whatever the sender does', () => {
    let t = 0;
    const r = new SendRate(50, 10, () => t);
    let sent = 0;
    while (t < 10_000) {
      const wait = r.take();
      t += wait; // the session holds the SEND for `wait` ms, then it goes
      sent++;
    }
    expect(sent).toBeGreaterThanOrEqual(500);
    expect(sent).toBeLessThanOrEqual(511);
  });
});
