import { describe, expect, it } from 'vitest';
import { BufferBudget, type BudgetMember } from './buffer-budget';

function member(output: number, input = 0) {
  const m = {
    output,
    input,
    held: false,
    failed: '' as string,
    bufferedBytes: () => m.output + m.input,
    holdInputForBudget: () => void (m.held = true),
    releaseInputForBudget: () => void (m.held = false),
    failSlow: (reason: string) => void (m.failed = reason),
  };
  return m satisfies BudgetMember;
}

describe('process-wide buffer budget', () => {
  it('pauses every connection over the budget and resumes below the low-water mark', () => {
    const b = new BufferBudget({ maxBytes: 1000, checkMs: 1_000_000, stallMs: 10_000 });
    const a = member(400);
    const c = member(100, 100);
    b.add(a);
    b.add(c);
    b.check(0);
    expect(b.paused).toBe(false);
    a.output = 900;
    b.check(1);
    expect(b.paused).toBe(true);
    expect(a.held && c.held).toBe(true);
    expect(b.pauses).toBe(1);
    const late = member(0);
    b.add(late);
    expect(late.held).toBe(true); // joins paused
    a.output = 700; // 900 total: under the budget but above 80 %
    b.check(2);
    expect(b.paused).toBe(true);
    a.output = 500;
    b.check(3);
    expect(b.paused).toBe(false);
    expect(a.held || c.held || late.held).toBe(false);
    b.stop();
  });

  it('closes the connection holding the most bytes when the budget does not drain', () => {
    const b = new BufferBudget({ maxBytes: 1000, checkMs: 1_000_000, stallMs: 500 });
    const reader = member(300);
    const stuck = member(900);
    b.add(reader);
    b.add(stuck);
    b.check(0);
    expect(b.paused).toBe(true);
    b.check(400);
    expect(stuck.failed).toBe('');
    b.check(600);
    expect(stuck.failed).toMatch(/budget/);
    expect(reader.failed).toBe('');
    expect(b.evictions).toBe(1);
    b.stop();
  });

  it('sums only members touched since the last check or still holding bytes', () => {
    const b = new BufferBudget({ maxBytes: 1000, checkMs: 1_000_000, stallMs: 10_000 });
    const calls = { n: 0 };
    const counted = (bytes: number) => {
      const m = member(bytes);
      const inner = m.bufferedBytes;
      m.bufferedBytes = () => (calls.n++, inner());
      return m;
    };
    const idle = Array.from({ length: 100 }, () => counted(0));
    const holding = counted(300);
    for (const m of idle) b.add(m);
    b.add(holding);
    b.check(0); // every new member is summed once
    expect(calls.n).toBe(101);
    expect(b.bytes).toBe(300);
    calls.n = 0;
    b.check(1); // idle ones are not summed again; the one holding bytes is
    expect(calls.n).toBe(1);
    idle[7].output = 900; // it read or wrote: it says so
    b.touch(idle[7]);
    b.check(2);
    expect(b.bytes).toBe(1200);
    expect(b.paused).toBe(true);
    holding.output = 0;
    idle[7].output = 0;
    b.check(3);
    expect(b.paused).toBe(false);
    calls.n = 0;
    b.delete(idle[3]);
    b.check(4);
    expect(calls.n).toBe(0);
    b.stop();
  });
});
