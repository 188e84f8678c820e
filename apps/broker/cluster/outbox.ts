/**
 * The relay's outgoing side: messages accepted on this node, grouped per destination and sent
 * at the end of the event-loop turn as one pack per destination (one AMQP message carries all
 * of a turn's messages for a destination, instead of one AMQP message per chat message).
 *
 * Bounded by CLUSTER_MAX_PENDING / _BYTES: past either, a message is not relayed and counted
 * as missed (its subscribers on other nodes miss it live; it is in history). While the link is
 * down nothing is queued (the other nodes cannot be reached in order anyway): counted as missed.
 * Per-sender order holds: one sender's messages to a destination enter one list in order, its
 * packs are published in order on one channel, and RabbitMQ keeps a channel's order per queue.
 */
import type { OutboundMessage } from '../../shared/message';
import { encodePack, messageSize, packHeaderSize } from '../../shared/queue/pack-codec';
import type { Relay } from '../hub/relay';
import type { ClusterMetrics } from './cluster-metrics';

export interface OutboxLimits {
  maxPending: number;
  maxPendingBytes: number;
  packMaxMessages: number;
  packMaxBytes: number;
}

/** Publishes one encoded pack; false when the socket is full (the outbox then waits for `resume`). */
export interface PackSink {
  /** True while packs can be published at all. */
  isOpen(): boolean;
  publish(destination: string, pack: Buffer, count: number): boolean;
}

interface Batch {
  msgs: OutboundMessage[];
  bytes: number;
}

export class Outbox implements Relay {
  private readonly batches = new Map<string, Batch>();
  private pendingCount = 0;
  private pendingBytesTotal = 0;
  private scheduled = false;
  private blocked = false;

  constructor(
    private readonly sink: PackSink,
    private readonly limits: OutboxLimits,
    private readonly metrics: ClusterMetrics,
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  get pendingBytes(): number {
    return this.pendingBytesTotal;
  }

  publish(msg: OutboundMessage): void {
    if (!this.sink.isOpen()) {
      this.metrics.missed.disconnected++;
      return;
    }
    const size = messageSize(msg);
    if (this.pendingCount >= this.limits.maxPending || this.pendingBytesTotal + size > this.limits.maxPendingBytes) {
      this.metrics.missed.overflow++;
      return;
    }
    let b = this.batches.get(msg.destination);
    if (!b) {
      b = { msgs: [], bytes: 0 };
      this.batches.set(msg.destination, b);
    }
    b.msgs.push(msg);
    b.bytes += size;
    this.pendingCount++;
    this.pendingBytesTotal += size;
    this.schedule();
  }

  /** The sink can take packs again (socket drained, link back). */
  resume(): void {
    this.blocked = false;
    this.schedule();
  }

  /** The link went down: what was waiting cannot reach the other nodes in order any more. */
  dropAll(): void {
    this.metrics.missed.disconnected += this.pendingCount;
    this.batches.clear();
    this.pendingCount = 0;
    this.pendingBytesTotal = 0;
  }

  /** Send everything now (close). */
  flush(): void {
    this.scheduled = false;
    if (this.blocked) return;
    if (!this.sink.isOpen()) {
      this.dropAll();
      return;
    }
    for (const [destination, b] of this.batches) {
      this.batches.delete(destination);
      this.pendingCount -= b.msgs.length;
      this.pendingBytesTotal -= b.bytes;
      if (!this.sendBatch(destination, b.msgs)) {
        this.blocked = true;
        return; // the rest waits for `resume` (bounded: publish() refuses past the limits)
      }
    }
  }

  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: every SEND parsed in this turn joins the same pack.
    setImmediate(() => this.flush());
  }

  /** Send one destination's messages as packs within the size limits; false once the sink is full. */
  private sendBatch(destination: string, msgs: OutboundMessage[]): boolean {
    let ok = true;
    let start = 0;
    while (start < msgs.length) {
      let end = start;
      let bytes = packHeaderSize(0);
      while (end < msgs.length && end - start < this.limits.packMaxMessages) {
        const s = messageSize(msgs[end]);
        if (end > start && bytes + s > this.limits.packMaxBytes) break;
        bytes += s;
        end++;
      }
      const part = start === 0 && end === msgs.length ? msgs : msgs.slice(start, end);
      ok = this.sink.publish(destination, encodePack(part), part.length) && ok;
      this.metrics.packsOut++;
      this.metrics.messagesOut += part.length;
      start = end;
    }
    return ok;
  }
}
