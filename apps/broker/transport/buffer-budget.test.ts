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
});
