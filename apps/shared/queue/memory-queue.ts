/**
 * The in-process twin of the RabbitMQ hop (the embedded default): one bounded queue that is a
 * PackTransport for the broker's PackingOffload and a PackSource for the consumer, plus a
 * bounded in-memory dead-letter list. A crash loses what is in it, so it does not confirm a
 * pack when it takes it: it confirms (and a RECEIPT follows) when the pack is durable
 * further on — handed over to a durable stream (`handed-over`: the consumer acked it after
 * appending it to Redis), or stored in the database (`stored`: the in-process stream reports
 * the pack's rows committed). `enqueued` confirms at once (tests of the queue itself).
 *
 * Bound: at most `capacityMessages` messages queued or un-acked. When full, `canSend` is
 * false, so packs wait in the offload's own bounded buffer and then senders get
 * OffloadFullError: backpressure from a slow database reaches the SENDer, never unbounded memory.
 */
import type { Registry } from 'prom-client';
import type { PackTransport, SealedPack, TransportHooks } from './packing-offload';
import { DeadLetterRefusedError, type DeadLetter, type DeadLetterSink, type PackSource } from './pack-source';
import { PrefetchDelivery } from './prefetch-delivery';
import { deadLettersRefused } from './dead-letter-metrics';
import type { MemoryBranchQueue } from './memory-branch-queue';
import { gauge } from '../metrics';

interface Item {
  body: Buffer;
  count: number;
  redelivered: boolean;
  /** The publisher's confirm, when it waits for the consumer to ack this item. */
  settle?: (err?: Error) => void;
}

/** When the queue confirms a pack to the publisher (see the header). */
export type ConfirmPoint = 'enqueued' | 'handed-over' | 'stored';

export class MemoryPackQueue {
  private readonly queue: PrefetchDelivery<Item>;
  private messages = 0;
  /** Confirms waiting for `stored` (bounded by the offload's own pending bound), by pack body. */
  private readonly awaitingStore = new Map<Buffer, (err?: Error) => void>();
  /** Bytes of the packs queued or un-acked: the queue lives in this process's memory. */
  private bytes = 0;
  private hooks: TransportHooks | null = null;
  /** Named queues fed a copy of every pack taken (the push queue), as RabbitMQ's exchange does. */
  private readonly branches: MemoryBranchQueue[] = [];
  private closed = false;
  private readonly mDepth;
  private readonly mBytes;

  constructor(
    private readonly capacityMessages: number,
    private readonly prefetch: number,
    registry: Registry,
    private readonly capacityBytes = Infinity,
    private readonly confirmAt: ConfirmPoint = 'enqueued',
  ) {
    this.queue = new PrefetchDelivery<Item>(prefetch, (item) => {
      item.settle?.();
      this.messages -= item.count;
      this.bytes -= item.body.length;
      this.mDepth.set(this.messages);
      this.mBytes.set(this.bytes);
      this.hooks?.writable();
    });
    this.source = this.queue.source;
    this.mDepth = gauge(registry, 'stompbox_memory_queue_messages', 'Messages in the in-process queue (ready + un-acked)');
    this.mBytes = gauge(registry, 'stompbox_memory_queue_bytes', 'Bytes of the packs in the in-process queue (EMBEDDED_QUEUE_MAX_BYTES bounds it)');
  }

  /**
   * The consumer stored this pack's rows (the same Buffer the queue delivered): confirm it to
   * the publisher. Used with `stored`; a pack confirmed already or unknown is ignored.
   */
  stored(body: Buffer): void {
    const settle = this.awaitingStore.get(body);
    if (!settle) return;
    this.awaitingStore.delete(body);
    settle();
  }

  /** Feed `branch` a copy of every pack this queue takes from now on. */
  addBranch(branch: MemoryBranchQueue): void {
    this.branches.push(branch);
  }

  /** Messages queued or un-acked. */
  depth(): number {
    return this.messages;
  }

  /** The publisher side, for `new PackingOffload(queue.transport, ...)`. */
  readonly transport: PackTransport = {
    kind: 'memory',
    start: async (hooks) => {
      this.hooks = hooks;
    },
    canSend: () => !this.closed && this.messages < this.capacityMessages && this.bytes < this.capacityBytes,
    send: (pack: SealedPack, settle) => {
      const item: Item = { body: pack.body, count: pack.count, redelivered: false, settle: this.confirmAt === 'handed-over' ? settle : undefined };
      if (this.confirmAt === 'stored') this.awaitingStore.set(pack.body, settle);
      this.messages += pack.count;
      this.bytes += pack.body.length;
      this.mDepth.set(this.messages);
      this.mBytes.set(this.bytes);
      if (this.confirmAt === 'enqueued') settle();
      for (const b of this.branches) b.offer(pack.body);
      this.queue.push(item);
    },
    isReady: () => !this.closed,
    close: async () => {
      this.closed = true;
    },
  };

  /** The consumer side. Closing it gives un-acked packs back to the queue, marked redelivered. */
  readonly source: PackSource;
}

/**
 * Bounded in-memory dead letters, as RabbitMQ's dead-letter queue behaves (amqp-topology.ts,
 * `x-overflow: reject-publish`): past `max` a new letter is refused (DeadLetterRefusedError,
 * counted) and every letter already kept stays; the consumer holds the refused one and retries.
 */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly kind = 'memory';
  private readonly letters: DeadLetter[] = [];
  private readonly mRefused;

  constructor(
    private readonly max: number,
    registry: Registry,
  ) {
    this.mRefused = deadLettersRefused(registry);
  }

  async put(letter: DeadLetter): Promise<void> {
    if (this.letters.length >= this.max) {
      this.mRefused.inc({ sink: this.kind });
      throw new DeadLetterRefusedError(`in-memory dead letters full (${this.max}, EMBEDDED_DEAD_LETTERS_MAX)`);
    }
    this.letters.push(letter);
  }

  list(): readonly DeadLetter[] {
    return this.letters;
  }

  async close(): Promise<void> {}
}
