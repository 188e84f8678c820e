/**
 * A connection's SEND allowance: a token bucket of `burst` tokens refilled at `ratePerS`.
 * Taking a token never refuses: it answers how long the sender must wait first, so the
 * session holds the SEND (and, behind it, reads from the socket) instead of dropping it —
 * TCP backpressure, as RabbitMQ's flow control slows a publisher.
 */
export class SendRate {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Take one token; returns 0 when it was there, else the milliseconds until it will be. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerS) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerS);
  }
}
