/**
 * What the consumer reads from and where it puts what it cannot handle.
 * RabbitMQ implements both in apps/shared/queue/amqp-consumer-link.ts; the embedded default uses the
 * in-process twins in memory-queue.ts. The same consumer code and tests run on either.
 */

/** One pack (apps/shared/queue/pack-codec.ts) handed to the consumer. */
export interface PackDelivery {
  readonly body: Buffer;
  /** True when this pack was delivered before (a consumer died or disconnected holding it). */
  readonly redelivered: boolean;
  /**
   * Done with it: the queue forgets it. A no-op when the delivery is stale (its connection
   * was lost; the queue will deliver it again, and the idempotent insert absorbs the repeat).
   */
  ack(): void;
}

export interface PackSource {
  readonly kind: string;
  /** Start delivering; at most `prefetch` un-acked deliveries are outstanding at a time. */
  start(onDelivery: (d: PackDelivery) => void): Promise<void>;
  /** Stop delivering new packs (un-acked ones can still be acked until close). */
  stop(): Promise<void>;
  isReady(): boolean;
  /** Release; un-acked deliveries go back to the queue for the next consumer. */
  close(): Promise<void>;
}

/** Something that could not be stored, with why. */
export interface DeadLetter {
  reason: string;
  /** Which stage gave up: "decode" (corrupt pack), "store" (the database refused the row). */
  stage: string;
  /** A pack (pack-codec.ts) holding the message(s), or the raw bytes when they did not decode. */
  body: Buffer;
  messageIds: string[];
}

export interface DeadLetterSink {
  readonly kind: string;
  /**
   * Resolves once the dead letter is durably recorded (RabbitMQ: publisher confirm). Rejects
   * with DeadLetterRefusedError when the sink is full: it refuses new letters rather than drop
   * old ones, and the caller keeps what it holds (un-acked) and tries again later
   * (holding-dead-letters.ts does that for the consumer).
   */
  put(letter: DeadLetter): Promise<void>;
  close(): Promise<void>;
}

/** The dead-letter sink is full and refused a letter; nothing was recorded. */
export class DeadLetterRefusedError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'DeadLetterRefusedError';
  }
}
