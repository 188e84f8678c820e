/**
 * One byte budget for what all connections buffer together: output waiting for slow
 * readers, input read but not yet handled, half-received frames. Each connection has its
 * own bound, but thousands of connections each under theirs can still add up; over the
 * process-wide budget the broker stops reading from every connection (as RabbitMQ's memory
 * alarm blocks publishers) until what is buffered drains below a low-water mark. If it does
 * not drain within `stallMs` (readers that never read, half-sent frames that cannot finish
 * while reading is paused), the connection holding the most bytes is closed, one per check,
 * until it does.
 *
 * A check sums only the connections that did I/O since the last check or still hold bytes
 * (`touch`): with thousands of idle connections, summing all of them ten times a second would
 * be most of an idle broker's CPU, and an idle connection holds nothing.
 */

/** What the budget needs from a connection. */
export interface BudgetMember {
  /** Bytes this connection buffers now (output queued and in the socket, input unhandled). */
  bufferedBytes(): number;
  holdInputForBudget(): void;
  releaseInputForBudget(): void;
  /** Close as a slow consumer (the budget could not drain). */
  failSlow(reason: string): void;
  /** Owned by the budget: the member is among those the next check sums (see `touch`). */
  budgetActive?: boolean;
}

export interface BufferBudgetOptions {
  maxBytes: number;
  /** How often the connections are summed. */
  checkMs: number;
  /** How long the budget may stay exceeded before the largest holder is closed. */
  stallMs: number;
}

export class BufferBudget {
  private readonly members = new Set<BudgetMember>();
  /** Members that may hold bytes: touched since the last check, or holding some at it. */
  private active = new Set<BudgetMember>();
  private spare = new Set<BudgetMember>();
  private timer: NodeJS.Timeout | null = null;
  private overSince = 0;
  /** Bytes buffered at the last check (a metric). */
  bytes = 0;
  paused = false;
  /** Times reading was paused for the budget (a metric). */
  pauses = 0;
  /** Connections closed because the budget did not drain (a metric). */
  evictions = 0;

  constructor(private readonly opts: BufferBudgetOptions) {}

  add(m: BudgetMember): void {
    this.members.add(m);
    this.touch(m);
    if (this.paused) m.holdInputForBudget();
    if (!this.timer && this.opts.maxBytes > 0) {
      this.timer = setInterval(() => this.check(), this.opts.checkMs);
      this.timer.unref();
    }
  }

  delete(m: BudgetMember): void {
    this.members.delete(m);
    this.active.delete(m);
    m.budgetActive = false;
  }

  /**
   * The member's buffered bytes may have grown (it read or wrote): the next check sums it.
   * Members call this on every read and write (cheap when already active).
   */
  touch(m: BudgetMember): void {
    if (m.budgetActive || this.opts.maxBytes <= 0) return;
    m.budgetActive = true;
    this.active.add(m);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sum the connections and pause, resume or evict (called on a timer; public for tests). */
  check(now = Date.now()): void {
    let total = 0;
    const active = this.active;
    this.active = this.spare;
    for (const m of active) {
      const b = m.bufferedBytes();
      total += b;
      if (b > 0) this.active.add(m);
      else m.budgetActive = false;
    }
    active.clear();
    this.spare = active;
    this.bytes = total;
    const max = this.opts.maxBytes;
    if (!this.paused && total > max) {
      this.paused = true;
      this.pauses++;
      this.overSince = now;
      for (const m of this.members) m.holdInputForBudget();
    } else if (this.paused && total <= max * 0.8) {
      this.paused = false;
      for (const m of this.members) m.releaseInputForBudget();
    } else if (this.paused && total > max && now - this.overSince >= this.opts.stallMs) {
      let worst: BudgetMember | null = null;
      let most = 0;
      for (const m of this.members) {
        const b = m.bufferedBytes();
        if (b > most) [worst, most] = [m, b];
      }
      if (worst) {
        this.evictions++;
        this.delete(worst);
        worst.failSlow(`the broker's buffers stayed above their budget of ${max} bytes for ${this.opts.stallMs} ms and this connection held the most of them`);
      }
    }
  }
}
