import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatWheel, type WheelMember } from './heartbeat-wheel';

class Member implements WheelMember {
  wheelSlot = -1;
  wheelIndex = 0;
  wheelDue = 0;
  visits: number[] = [];
  constructor(private readonly next: (now: number, m: Member) => number) {}
  onWheel(now: number): number {
    this.visits.push(now);
    return this.next(now, this);
  }
}

/** Date.now() under fake timers: setSystemTime can then stand for a stalled event loop. */
const wallClock = () => Date.now();

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000_000_003); // not on a tick boundary
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HeartbeatWheel', () => {
  it('visits a member at or after its due time, within one tick, and again when asked', () => {
    const wheel = new HeartbeatWheel(10, 1024, wallClock);
    const t0 = Date.now();
    const m = new Member((now) => now + 95);
    wheel.schedule(m, t0 + 95);
    vi.advanceTimersByTime(94);
    expect(m.visits).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(m.visits.length).toBeGreaterThanOrEqual(10);
    let due = t0 + 95;
    for (const v of m.visits) {
      expect(v).toBeGreaterThanOrEqual(due);
      expect(v).toBeLessThan(due + 10);
      due = v + 95;
    }
    wheel.remove(m);
    expect(wheel.size).toBe(0);
  });

  it('leaves members out once they return 0 or are removed, and its timer stops when empty', () => {
    const wheel = new HeartbeatWheel(5, 1024, wallClock);
    const once = new Member(() => 0);
    const kept = new Member((now) => now + 20);
    wheel.schedule(once, Date.now() + 10);
    wheel.schedule(kept, Date.now() + 10);
    expect(wheel.size).toBe(2);
    vi.advanceTimersByTime(20);
    expect(once.visits).toHaveLength(1);
    expect(wheel.size).toBe(1);
    wheel.remove(kept);
    wheel.remove(kept); // twice is harmless
    expect(wheel.size).toBe(0);
    vi.advanceTimersByTime(50);
    expect(vi.getTimerCount()).toBe(0);
    expect(kept.visits).toHaveLength(1);
  });

  it('skips a member removed by another member visited in the same tick', () => {
    const wheel = new HeartbeatWheel(10, 1024, wallClock);
    const members: Member[] = [];
    for (let i = 0; i < 6; i++) {
      members.push(
        new Member(() => {
          for (const o of members) if (o !== members[i]) wheel.remove(o); // the first visited removes the rest
          return 0;
        }),
      );
    }
    for (const m of members) wheel.schedule(m, Date.now() + 10);
    vi.advanceTimersByTime(30);
    expect(members.reduce((n, m) => n + m.visits.length, 0)).toBe(1);
    expect(wheel.size).toBe(0);
  });

  it('a member may move itself or others while being visited', () => {
    const wheel = new HeartbeatWheel(10, 1024, wallClock);
    const other = new Member(() => 0);
    const mover = new Member((now, self) => {
      wheel.schedule(self, now + 50); // reschedules itself; its return value is then ignored
      if (self.visits.length === 1) wheel.schedule(other, now + 200);
      return now + 10_000;
    });
    const t0 = Date.now();
    wheel.schedule(mover, t0 + 10);
    vi.advanceTimersByTime(100);
    expect(mover.visits.length).toBe(2); // +10, then +50 after that (not +10,000)
    expect(wheel.size).toBe(2);
    vi.advanceTimersByTime(200);
    expect(other.visits).toHaveLength(1);
    expect(other.visits[0]).toBeGreaterThanOrEqual(mover.visits[0] + 200);
    wheel.remove(mover);
    expect(wheel.size).toBe(0);
  });

  it('visits members due beyond one turn of the wheel on time', () => {
    const wheel = new HeartbeatWheel(10, 8, wallClock); // one turn: 80 ms
    const t0 = Date.now();
    const far = new Member(() => 0);
    wheel.schedule(far, t0 + 1000);
    vi.advanceTimersByTime(995);
    expect(far.visits).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(far.visits).toHaveLength(1);
    expect(far.visits[0]).toBeGreaterThanOrEqual(t0 + 1000);
    expect(far.visits[0]).toBeLessThan(t0 + 1010);
  });

  it('after a stall longer than a turn, visits every member once', () => {
    const wheel = new HeartbeatWheel(10, 8, wallClock);
    const t0 = Date.now();
    const ms = Array.from({ length: 20 }, (_, i) => new Member(() => 0));
    ms.forEach((m, i) => wheel.schedule(m, t0 + 10 + i * 7));
    vi.setSystemTime(t0 + 5000); // the event loop was blocked; timers have not run
    vi.advanceTimersToNextTimer();
    expect(ms.every((m) => m.visits.length === 1)).toBe(true);
    expect(wheel.size).toBe(0);
  });

  it('runs on a monotonic clock by default', () => {
    vi.useRealTimers();
    const wheel = new HeartbeatWheel(10);
    const a = wheel.now();
    expect(Number.isInteger(a)).toBe(true);
    expect(a).toBeLessThan(2 ** 30); // small: stays a small integer in a field
    expect(wheel.now()).toBeGreaterThanOrEqual(a);
  });

  it('holds many members with O(1) removal; members due apart are visited apart', () => {
    const wheel = new HeartbeatWheel(100, 1024, wallClock);
    const t0 = Date.now();
    const ms = Array.from({ length: 10_000 }, () => new Member((now) => now + 10_000));
    // due times spread over 5 s, as connections opened over 5 s are
    ms.forEach((m, i) => wheel.schedule(m, t0 + 5000 + ((i >> 1) % 50) * 100));
    for (let i = 0; i < ms.length; i += 2) wheel.remove(ms[i]);
    expect(wheel.size).toBe(5000);
    vi.advanceTimersByTime(10_000);
    const perTick = new Map<number, number>();
    for (let i = 1; i < ms.length; i += 2) {
      expect(ms[i].visits).toHaveLength(1);
      const t = Math.floor(ms[i].visits[0] / 100);
      perTick.set(t, (perTick.get(t) ?? 0) + 1);
    }
    for (let i = 0; i < ms.length; i += 2) expect(ms[i].visits).toHaveLength(0);
    expect(Math.max(...perTick.values())).toBe(100); // 5000 members over 50 ticks
    for (const m of ms) wheel.remove(m);
    expect(wheel.size).toBe(0);
  });
});
