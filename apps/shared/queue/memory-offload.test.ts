import { describe, expect, it } from 'vitest';
import { MemoryOffload } from './memory-offload';
import { OffloadFullError } from './offload';
import type { OutboundMessage } from '../message';

const msg = (i: number): OutboundMessage => ({
  id: `m${i}`, destination: '/topic/x', roomId: null, senderId: 'a', nodeId: 'n', sentAt: 0, contentType: null, headers: {}, body: Buffer.from('x'),
});
const turn = () => new Promise((r) => setImmediate(r));

describe('MemoryOffload', () => {
  it('drains everything accepted in a turn, however many (no build-up at high rates)', async () => {
    const seen: number[] = [];
    const o = new MemoryOffload(100_000, (b) => seen.push(b.length), 1000);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 4500; i++) await Promise.resolve(o.publish(msg(i)));
      await turn();
      expect(o.depth()).toBe(0);
    }
    expect(o.consumed).toBe(20 * 4500);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1000);
  });

  it('refuses with OffloadFullError when full, never silently', () => {
    const o = new MemoryOffload(3);
    for (let i = 0; i < 3; i++) o.publish(msg(i));
    expect(() => o.publish(msg(4))).toThrow(OffloadFullError);
  });

  it('refuses after close and hands over what was queued', async () => {
    let n = 0;
    const o = new MemoryOffload(10, (b) => (n += b.length));
    o.publish(msg(1));
    o.publish(msg(2));
    await o.close();
    expect(n).toBe(2);
    expect(() => o.publish(msg(3))).toThrow(OffloadFullError);
  });
});
