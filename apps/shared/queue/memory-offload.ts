/**
 * The simplest embedded Offload: an in-process bounded queue drained by a consumer
 * callback in batches on the next turn. Accepted = enqueued (it lives and dies with the
 * process). Full = OffloadFullError, never a silent drop. Used by tests and by the broker
 * when no pipeline is wired; the embedded pipeline supplies a richer twin.
 */
import { OffloadFullError, type Offload } from './offload';
import type { OutboundMessage } from '../message';

export class MemoryOffload implements Offload {
  readonly kind = 'memory';
  private queue: OutboundMessage[] = [];
  private scheduled = false;
  private closed = false;
  /** Messages handed to the consumer so far. */
  consumed = 0;

  constructor(
    private readonly maxPending: number,
    private readonly consumer: (batch: OutboundMessage[]) => void = () => {},
    private readonly batchSize = 1000,
  ) {}

  publish(msg: OutboundMessage): Promise<void> {
    if (this.closed) throw new OffloadFullError('offload is closed (server shutting down)');
    if (this.queue.length >= this.maxPending) throw new OffloadFullError(`offload queue holds ${this.maxPending} messages (OFFLOAD_MAX_PENDING)`);
    this.queue.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
    return RESOLVED;
  }

  depth(): number {
    return this.queue.length;
  }

  isReady(): boolean {
    return !this.closed;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0) this.drain();
  }

  /**
   * Hand everything queued to the consumer, in batches of `batchSize`, once per turn. (An
   * earlier version took one batch per turn: at tens of thousands of SENDs per second more
   * arrived per turn than it took, the queue filled, and senders got offload-full.)
   */
  private readonly drain = (): void => {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += this.batchSize) {
      const batch = all.length <= this.batchSize ? all : all.slice(i, i + this.batchSize);
      this.consumed += batch.length;
      this.consumer(batch);
    }
  };
}

const RESOLVED = Promise.resolve();
