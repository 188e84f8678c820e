import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from './delivery-tracker';

describe('DeliveryTracker', () => {
  it('counts an in-order stream as all new', () => {
    const t = new DeliveryTracker();
    for (let i = 0; i < 10; i++) expect(t.record(1, i)).toBe('new');
    expect([t.received, t.unique, t.duplicated, t.outOfOrder]).toEqual([10, 10, 0, 0]);
    expect(t.uniqueFrom(1)).toBe(10);
    expect(t.uniqueFrom(2)).toBe(0);
  });

  it('detects duplicates, both behind the prefix and ahead of a gap', () => {
    const t = new DeliveryTracker();
    t.record(1, 0);
    expect(t.record(1, 0)).toBe('duplicate');
    t.record(1, 3); // gap at 1, 2
    expect(t.record(1, 3)).toBe('duplicate');
    expect([t.unique, t.duplicated]).toEqual([2, 2]);
  });

  it('detects out-of-order delivery and closes gaps', () => {
    const t = new DeliveryTracker();
    t.record(7, 0);
    t.record(7, 2);
    expect(t.record(7, 1)).toBe('out-of-order');
    expect(t.record(7, 3)).toBe('new');
    expect(t.record(7, 1)).toBe('duplicate');
    expect([t.unique, t.outOfOrder, t.duplicated]).toEqual([4, 1, 1]);
  });

  it('keeps senders apart: interleaving two senders is not disorder', () => {
    const t = new DeliveryTracker();
    for (let i = 0; i < 5; i++) {
      t.record(1, i);
      t.record(2, i);
    }
    expect(t.outOfOrder).toBe(0);
    expect(t.uniqueFrom(1) + t.uniqueFrom(2)).toBe(10);
  });

  it('leaves missing seqs to the caller as expected − unique', () => {
    const t = new DeliveryTracker();
    for (const s of [0, 1, 3, 4, 6]) t.record(1, s);
    expect(10 - t.uniqueFrom(1)).toBe(5);
    expect(t.outOfOrder).toBe(0);
  });
});
