/**
 * A named queue of the in-process twin fed a copy of every pack the twin's main queue takes
 * (MemoryPackQueue.addBranch), as RabbitMQ's exchange feeds the push queue beside the persist
 * queue. It never delays the publisher's confirm: like RabbitMQ's push queue (`x-max-length`,
 * amqp-topology.ts), past its bound in packs or bytes it drops its oldest ready pack and hands
 * it to `onOverflow` (dead-lettered with reason "maxlen", counted), never silently.
 */
import type { Registry } from 'prom-client';
import { counter, gauge } from '../metrics';
import type { PackSource } from './pack-source';
import { PrefetchDelivery, type QueuedPack } from './prefetch-delivery';

export class MemoryBranchQueue {
  private readonly queue: PrefetchDelivery<QueuedPack>;
  private bytes = 0;
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
    this.queue = new PrefetchDelivery<QueuedPack>(prefetch, (item) => {
      this.bytes -= item.body.length;
      this.mDepth.set({ queue: this.name }, this.depth());
    });
    this.source = this.queue.source;
    this.mDepth = gauge(registry, 'stompbox_memory_branch_packs', 'Packs in a named queue of the in-process twin (ready + un-acked)', ['queue']);
    this.mDropped = counter(registry, 'stompbox_memory_branch_overflow_total', 'Oldest packs a full named queue of the in-process twin dropped and dead-lettered', ['queue']);
  }

  /** A copy of a pack the main queue took (the same immutable Buffer). */
  offer(body: Buffer): void {
    const ready = this.queue.ready;
    ready.push({ body, redelivered: false });
    this.bytes += body.length;
    while (ready.length > 1 && (this.depth() > this.maxPacks || this.bytes > this.maxBytes)) {
      const oldest = ready.shift()!;
      this.bytes -= oldest.body.length;
      this.mDropped.inc({ queue: this.name });
      this.onOverflow(oldest.body);
    }
    this.mDepth.set({ queue: this.name }, this.depth());
    this.queue.schedule();
  }

  /** Packs ready or un-acked. */
  depth(): number {
    return this.queue.size;
  }

  readonly source: PackSource;
}
