/**
 * Who is connected, on any broker process. Each process reports its own connections; entries
 * of a process that stops refreshing (killed) expire. Redis (`redis-presence.ts`) and an
 * in-process twin (`memory-presence.ts`) implement it and pass one contract
 * (`presence.test.ts`).
 */

/** A user's state on this process changed (first connection opened, or last one closed). */
export interface PresenceChange {
  userId: string;
  /** true: the user's first connection on this process opened; false: its last one closed. */
  online: boolean;
}

export interface Presence {
  /** "redis" or "memory", for logs and metrics. */
  readonly kind: string;
  /**
   * A connection of `userId` opened on this process. Synchronous and never throws: it updates a
   * count in memory, and the report to other processes is written in a batch shortly after.
   * Each call must be matched by exactly one `disconnected` with the same ids. Users beyond the
   * per-process cap are not tracked (counted in a metric).
   */
  connected(userId: string, connectionId: string): void;
  /** That connection closed (synchronous, never throws). */
  disconnected(userId: string, connectionId: string): void;
  /**
   * The users among `userIds` with at least one live connection on any process, in one round
   * trip per batch of ids. Rejects when the answer is not known (Redis unreachable or slower
   * than the query timeout): a failure must never be read as "nobody is online", or push would
   * notify users who are reading the room. A room's online members are `onlineAmong(members)`.
   */
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  /**
   * Listen to this process's changes, told in batches once they are visible to other processes
   * (a connect and disconnect within one batch cancel out). A user connected on two processes
   * is reported by each; confirm with `onlineAmong` before announcing that someone left. No
   * cost while nobody listens. Returns the unsubscribe function.
   */
  onChange(listener: (changes: readonly PresenceChange[]) => void): () => void;
  /** Report this process (the Redis version rejects when Redis cannot be reached). */
  start(): Promise<void>;
  /** Stop refreshing and remove this process's entries (best effort); never throws. */
  close(): Promise<void>;
}
