/**
 * Who is connected, on any broker process. Each process reports its own connections; entries
 * of a process that stops refreshing (killed) expire. Redis (`redis-presence.ts`) and an
 * in-process twin (`memory-presence.ts`) implement it and pass one contract.
 */
export interface Presence {
  /** "redis" or "memory", for logs and metrics. */
  readonly kind: string;
  /** A connection of `userId` opened on this process (synchronous: batched, never awaited). */
  connected(userId: string, connectionId: string): void;
  /** That connection closed. */
  disconnected(userId: string, connectionId: string): void;
  /** The users among `userIds` with at least one live connection on any process. */
  onlineAmong(userIds: readonly string[]): Promise<Set<string>>;
  start(): Promise<void>;
  close(): Promise<void>;
}
