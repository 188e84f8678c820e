/**
 * A named queue of the in-process twin fed a copy of every pack the twin's main queue takes
 * (MemoryPackQueue.addBranch), as RabbitMQ's exchange feeds the push queue beside the persist
 * queue. It never delays the publisher's confirm: like RabbitMQ's push queue (`x-max-length`,
 * amqp-topology.ts), past its bound in packs or bytes it drops its oldest ready pack and hands
 * it to `onOverflow` (dead-lettered with reason "maxlen", counted), never silently.
 */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../metrics';
import type { PackDelivery, PackSource } from './pack-source';

interface Item {
  body: Buffer;
  redelivered: boolean;
}

export class MemoryBranchQueue {
  private readonly ready: Item[] = [];
  private readonly unacked = new Set<Item>();
  private bytes = 0;
  private onDelivery: ((d: PackDelivery) => void) | null = null;
  private delivering = false;
  private readonly mDepth;
  private readonly mDropped;

  constructor(
    readonly name: string,
    private readonly maxPacks: number,
    private readonly maxBytes: number,
    private readonly prefetch: number,
    registry: Registry,
    private readonly onOverflow: (body: Buffer) => void = () => {},
  ) {
    this.mDepth = gauge(registry, 'stompbox_memory_branch_packs', 'Packs in a named queue of the in-process twin (ready + un-acked)', ['queue']);
    this.mDropped = counter(registry, 'stompbox_memory_branch_overflow_total', 'Oldest packs a full named queue of the in-process twin dropped and dead-lettered', ['queue']);
  }

  /** A copy of a pack the main queue took (the same immutable Buffer). */
  offer(body: Buffer): void {
    this.ready.push({ body, redelivered: false });
    this.bytes += body.length;
    while (this.ready.length > 1 && (this.depth() > this.maxPacks || this.bytes > this.maxBytes)) {
      const oldest = this.ready.shift()!;
      this.bytes -= oldest.body.length;
      this.mDropped.inc({ queue: this.name });
      this.onOverflow(oldest.body);
    }
    this.mDepth.set({ queue: this.name }, this.depth());
    this.scheduleDeliver();
  }

  /** Packs ready or un-acked. */
  depth(): number {
    return this.ready.length + this.unacked.size;
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

  private scheduleDeliver(): void {
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
      this.onDelivery({
        body: item.body,
        redelivered: item.redelivered,
        ack: () => {
          if (!this.unacked.delete(item)) return;
          this.bytes -= item.body.length;
          this.mDepth.set({ queue: this.name }, this.depth());
          this.scheduleDeliver();
        },
      });
    }
  }
}
