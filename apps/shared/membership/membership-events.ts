/**
 * Membership changes announced to every broker process so cached access answers are dropped:
 * Redis pub/sub (`redis-membership-events.ts`) across processes, an in-process twin
 * (`memory-membership-events.ts`) in the embedded default. Delivery is best effort; the access
 * cache's short TTL bounds how long a lost notice matters.
 */
export interface MembershipChange {
  roomId: string;
  /** The user whose membership changed; null: the whole room (deleted). */
  userId: string | null;
}

export interface MembershipEvents {
  readonly kind: string;
  /** Announce a change to every process, this one included. */
  publish(change: MembershipChange): Promise<void>;
  /** Listen for changes (from any process); returns the unsubscribe function. */
  subscribe(listener: (change: MembershipChange) => void): () => void;
  start(): Promise<void>;
  close(): Promise<void>;
}
