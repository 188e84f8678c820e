/**
 * The persistence buffer between the queue and the database: an append-only stream of packs
 * read by a consumer group, so the queue is acked quickly and the database is written in
 * batches at its own pace. Redis Streams in production (redis-pack-stream.ts), an in-process
 * twin in the embedded default (memory-pack-stream.ts). One entry holds one whole pack, not
 * one message: per-message entries measured 2.5-3.5x costlier for the bridge and Redis
 * (apps/README.md "Measured facts").
 */
export interface StreamEntry {
  /** Stream entry id (Redis `<ms>-<seq>`). */
  id: string;
  /** A pack (apps/shared/queue/pack-codec.ts). */
  body: Buffer;
}

/** Blocking reads hold a connection: each writer gets its own reader. */
export interface StreamReader {
  /** Up to `count` entries never delivered to the group, waiting up to `blockMs` for some. */
  read(count: number, blockMs: number): Promise<StreamEntry[]>;
  close(): Promise<void>;
}

export interface PackStream {
  readonly kind: string;
  /** Create the consumer group if missing. */
  init(): Promise<void>;
  /** Append packs in one round trip; resolves with the number of entries not yet acknowledged. */
  append(bodies: Buffer[]): Promise<number>;
  /** Entries not yet acknowledged (unread + read and pending): the backlog. */
  length(): Promise<number>;
  /**
   * Bytes of that backlog, for a stream held in this process's memory (the in-process twin),
   * which the bridge then bounds in bytes as well; undefined for Redis (bounded by its own
   * maxmemory, and by entries here).
   */
  readonly heldBytes?: number;
  openReader(consumer: string): StreamReader;
  /** Entries read by some consumer and not acknowledged for `minIdleMs`, now owned by `consumer` (XAUTOCLAIM). */
  claim(consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]>;
  /** Acknowledge and delete entries (their messages are in the database). */
  ack(ids: string[]): Promise<void>;
  isReady(): boolean;
  close(): Promise<void>;
}
