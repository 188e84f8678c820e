/**
 * One timer per connection that fires at an absolute time (a token's expiry plus grace).
 * Node's setTimeout takes at most 2^31-1 ms (~24.8 days) and fires at once for anything
 * longer, so a far deadline is reached in steps; a deadline already past fires on the next
 * turn, after the CONNECTED frame written in this one.
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class ExpiryTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly at: number,
    private readonly onExpired: () => void,
  ) {
    this.arm();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    const delay = Math.max(0, this.at - Date.now());
    this.timer = setTimeout(() => {
      if (Date.now() < this.at) return this.arm();
      this.timer = null;
      this.onExpired();
    }, Math.min(delay, MAX_DELAY_MS));
    // A connection keeps the process alive, not its expiry timer (drain ends connections).
    this.timer.unref();
  }
}
