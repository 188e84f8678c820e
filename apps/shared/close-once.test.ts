import { describe, expect, it } from 'vitest';
import { closeOnce } from './close-once';

describe('closeOnce', () => {
  it('runs the close once; every call gets the same promise', async () => {
    let runs = 0;
    const close = closeOnce(async () => {
      runs++;
      return runs;
    });
    const [a, b] = [close(), close()];
    expect(a).toBe(b);
    expect(await a).toBe(1);
    expect(await close()).toBe(1);
    expect(runs).toBe(1);
  });
});
