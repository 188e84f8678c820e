/**
 * The consumer side both in-process queues share, as a RabbitMQ queue behaves toward one
 * consumer: items wait in `ready`, at most `prefetch` are out un-acked at once, an ack frees a
 * slot, and closing the source gives the un-acked back to the front, marked redelivered.
 */
import type { PackDelivery, PackSource } from './pack-source';

export interface QueuedPack {
  body: Buffer;
  redelivered: boolean;
}

export class PrefetchDelivery<T extends QueuedPack> {
  readonly ready: T[] = [];
  readonly unacked = new Set<T>();
  private onDelivery: ((d: PackDelivery) => void) | null = null;
  private delivering = false;

  constructor(
    private readonly prefetch: number,
    /** An item was acked (once): release what it held. */
    private readonly onAck: (item: T) => void,
  ) {}

  /** Ready and un-acked items. */
  get size(): number {
    return this.ready.length + this.unacked.size;
  }

  push(item: T): void {
    this.ready.push(item);
    this.schedule();
  }

  readonly source: PackSource = {
    kind: 'memory',
    start: async (onDelivery) => {
      this.onDelivery = onDelivery;
      this.deliver();
    },
    stop: async () => {
      this.onDelivery = null;
    },
    isReady: () => true,
    close: async () => {
      this.onDelivery = null;
      const back = [...this.unacked];
      this.unacked.clear();
      for (const item of back) item.redelivered = true;
      this.ready.unshift(...back);
    },
  };

  /** Deliver on a later turn (an ack from inside a delivery must not recurse). */
  schedule(): void {
    if (this.delivering || !this.onDelivery) return;
    this.delivering = true;
    setImmediate(() => {
      this.delivering = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (this.onDelivery && this.unacked.size < this.prefetch && this.ready.length > 0) {
      const item = this.ready.shift()!;
      this.unacked.add(item);
      const cb = this.onDelivery;
      cb({
        body: item.body,
        redelivered: item.redelivered,
        ack: () => {
          if (!this.unacked.delete(item)) return;
          this.onAck(item);
          this.schedule();
        },
      });
    }
  }
}
