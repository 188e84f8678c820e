/**
 * Membership changes announced to every broker process so cached access answers are dropped:
 * Redis pub/sub (`redis-membership-events.ts`) across processes, an in-process twin
 * (`memory-membership-events.ts`) in the embedded default; one contract
 * (`membership-events.test.ts`) runs against both. Delivery is best effort; the access
 * cache's short TTL bounds how long a lost notice matters, and `onResync` says when notices
 * may have been lost so the cache can be emptied at once.
 */
export interface MembershipChange {
  roomId: string;
  /** The user whose membership changed; null: the whole room (deleted). */
  userId: string | null;
}

export interface MembershipEvents {
  readonly kind: string;
  /**
   * Announce a change to every process. This process's listeners are told synchronously,
   * before the returned promise settles and even if it rejects; other processes hear it
   * through Redis (a rejection means they may not: their cache TTL then bounds the staleness).
   * Rejects with a TypeError, telling nobody, when the change is not well formed (empty or
   * oversized ids).
   */
  publish(change: MembershipChange): Promise<void>;
  /** Listen for changes (from any process, each delivered once); returns the unsubscribe function. */
  subscribe(listener: (change: MembershipChange) => void): () => void;
  /**
   * Notices from other processes may have been lost (the connection to Redis was down and is
   * back): drop every cached answer. Called after the subscription is live again, so nothing
   * published from then on is missed. Returns the unsubscribe function. Optional: an
   * implementation that cannot lose notices (in-process) may leave it out, so call it as
   * `events.onResync?.(flush)`; the in-process twin has it and never calls the listener.
   */
  onResync?(listener: () => void): () => void;
  /** Begin receiving (the Redis version rejects when Redis cannot be reached). */
  start(): Promise<void>;
  close(): Promise<void>;
}
