/**
 * One coarse timer for every connection's heart-beats (a hashed timing wheel) instead of two
 * `setInterval`s per connection: a Timeout, its closure and its list links cost memory per
 * connection, and a timer per connection per period costs a timer-list operation each time.
 *
 * Each member sits in the slot of the tick it is next due at; each tick visits only that slot's
 * members. A member says when it wants its next visit (`onWheel` returns a time), so the wheel
 * knows nothing of STOMP. Times are milliseconds of a monotonic clock (`monotonicMs`: a wall
 * clock set back would stop every heart-beat until it caught up). A visit happens at the first
 * tick at or after the time asked (timer lateness aside): members ask one tick early where
 * lateness would break a promise.
 */

/**
 * Whole milliseconds since the process started, never going back. Small integers: stored in a
 * field they stay inline (a this.clock() value would be a separate heap number per field).
 */
export function monotonicMs(): number {
  return Math.floor(performance.now());
}

export interface WheelMember {
  /** Visited when due; returns when to visit next (ms), or 0 to leave the wheel. */
  onWheel(now: number): number;
  /** Wheel bookkeeping, owned by the wheel: slot (-1: not in the wheel), index in it, due time. */
  wheelSlot: number;
  wheelIndex: number;
  wheelDue: number;
}

const NONE = -1;
/** Members of the slot being visited sit in a detached list (removal there just clears the entry). */
const VISITING = -2;

export class HeartbeatWheel {
  private readonly slots: WheelMember[][];
  /** The slot being visited, detached; an empty array to swap in for it. */
  private visiting: (WheelMember | null)[] = [];
  private spare: WheelMember[] = [];
  /** Last tick visited (tick t covers [t × tickMs, (t + 1) × tickMs) of the clock). */
  private tick = 0;
  private timer: NodeJS.Timeout | null = null;
  private count = 0;
  private running = false;

  /**
   * @param tickMs granularity: a member is visited within one tick after it is due.
   * @param slotCount slots in one turn of the wheel; members due further ahead than
   *   slotCount × tickMs are visited once per turn until due (cheap: a re-insert).
   */
  constructor(
    readonly tickMs: number,
    slotCount = 1024,
    /** The clock members' times are read from too (see `now`). */
    private readonly clock: () => number = monotonicMs,
  ) {
    if (!(tickMs >= 1) || !Number.isInteger(tickMs)) throw new Error(`tickMs must be an integer ≥ 1, got ${tickMs}`);
    this.slots = Array.from({ length: slotCount }, () => []);
  }

  /** Members in the wheel. */
  get size(): number {
    return this.count;
  }

  /** The wheel's clock: members compare the `now` of a visit with times they took from this. */
  now(): number {
    return this.clock();
  }

  /** Put a member in (or move it) to be visited at `due`, or within one tick after. */
  schedule(m: WheelMember, due: number): void {
    if (m.wheelSlot !== NONE) this.detach(m);
    else if (this.count === 0 && !this.running) this.tick = Math.floor(this.clock() / this.tickMs) - 1; // idle until now
    m.wheelDue = due;
    this.insert(m, due);
    this.count++;
    if (this.timer === null && !this.running) this.arm(this.clock());
  }

  remove(m: WheelMember): void {
    if (m.wheelSlot !== NONE) this.detach(m);
  }

  /** Stop the timer (members stay; the next schedule starts it again). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fire at the start of the next tick: due times map to ticks, so visits are never early. */
  private arm(now: number): void {
    this.timer = setTimeout(this.run, (Math.floor(now / this.tickMs) + 1) * this.tickMs - now);
    // Sockets keep the process alive, not the wheel.
    this.timer.unref();
  }

  private insert(m: WheelMember, due: number): void {
    // The first tick starting at or after `due`; never the tick being visited or one already past.
    const t = Math.max(Math.ceil(due / this.tickMs), this.tick + 1);
    const slot = t % this.slots.length;
    const list = this.slots[slot];
    m.wheelSlot = slot;
    m.wheelIndex = list.length;
    list.push(m);
  }

  private detach(m: WheelMember): void {
    if (m.wheelSlot === VISITING) {
      this.visiting[m.wheelIndex] = null;
    } else {
      // swap-remove: O(1); order within a slot does not matter
      const list = this.slots[m.wheelSlot];
      const last = list.pop()!;
      if (last !== m) {
        list[m.wheelIndex] = last;
        last.wheelIndex = m.wheelIndex;
      }
    }
    m.wheelSlot = NONE;
    this.count--;
  }

  /** Visit every tick since the last visit (at most one turn: after a long stall each slot once). */
  private readonly run = (): void => {
    this.timer = null;
    const now = this.clock();
    const target = Math.floor(now / this.tickMs);
    this.running = true;
    try {
      for (let t = Math.max(this.tick + 1, target - this.slots.length + 1); t <= target; t++) {
        this.tick = t;
        this.visitSlot(t % this.slots.length, now);
      }
    } finally {
      this.running = false;
      this.tick = Math.max(this.tick, target);
      if (this.count > 0 && this.timer === null) this.arm(this.clock());
    }
  };

  private visitSlot(slot: number, now: number): void {
    const list = this.slots[slot];
    if (list.length === 0) return;
    this.slots[slot] = this.spare;
    const visiting: (WheelMember | null)[] = list;
    this.visiting = visiting;
    for (let i = 0; i < list.length; i++) {
      list[i].wheelSlot = VISITING;
      list[i].wheelIndex = i;
    }
    for (let i = 0; i < visiting.length; i++) {
      const m = visiting[i];
      if (m === null) continue; // removed during an earlier member's visit
      if (m.wheelDue > now) {
        this.insert(m, m.wheelDue); // due in a later turn of the wheel
        continue;
      }
      m.wheelSlot = NONE;
      this.count--;
      const next = m.onWheel(now);
      if (next > 0 && m.wheelSlot === NONE) this.schedule(m, next);
    }
    visiting.length = 0;
    this.spare = visiting as WheelMember[];
    this.visiting = EMPTY;
  }
}

const EMPTY: (WheelMember | null)[] = [];
