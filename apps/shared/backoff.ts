/**
 * Delays between retries of something that failed (a connect, a stream append, a batch
 * insert): exponential, capped, and spread by jitter so that many clients that lost the same
 * service at the same moment do not all come back in the same millisecond.
 */
export interface Backoff {
  /** Delay at attempt 0; each further attempt doubles it. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /** Spread as a fraction of the delay: 0.2 gives ±20 %. Default 0.2; 0 for none. */
  jitter?: number;
}

/** The delay before retry `attempt` (≥ 0): `baseMs · 2^attempt`, spread by ±`jitter`, at most `maxMs`. */
export function backoffMs(attempt: number, { baseMs, maxMs, jitter = 0.2 }: Backoff): number {
  const exact = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.min(maxMs, Math.round(exact * (1 - jitter + Math.random() * 2 * jitter)));
}
