/** How often a process refreshes its presence, and how long an entry outlives its last refresh. */
export interface PresenceTiming {
  /** Refresh period (PRESENCE_REFRESH_MS). */
  refreshMs: number;
  /** An entry not refreshed for this long is gone (PRESENCE_EXPIRY_MS): a killed process drops out within it. */
  expiryMs: number;
}

export const DEFAULT_TIMING: PresenceTiming = { refreshMs: 5_000, expiryMs: 15_000 };

/** Defaults filled in; throws unless the expiry leaves room for a late refresh. */
export function checkTiming(t: Partial<PresenceTiming>): PresenceTiming {
  const refreshMs = t.refreshMs ?? DEFAULT_TIMING.refreshMs;
  const expiryMs = t.expiryMs ?? DEFAULT_TIMING.expiryMs;
  if (!(refreshMs > 0) || expiryMs <= refreshMs) {
    throw new RangeError(`presence expiry (${expiryMs} ms) must be longer than its refresh period (${refreshMs} ms); three times is a good ratio`);
  }
  return { refreshMs, expiryMs };
}
