/**
 * One SUBSCRIBE of one session: its ack mode, prefetch window, the messages it sent and
 * awaits ACK/NACK for, messages held back by the prefetch window, and (while history is
 * loading) the live messages gated behind the replay.
 */
import type { Publication } from '../hub/publication';
import type { HubSubscriber } from '../hub/hub';

export type AckMode = 'auto' | 'client' | 'client-individual';

export interface SubscriptionOwner {
  deliverTo(sub: Subscription, pub: Publication): void;
}

/** A delivered message awaiting ACK/NACK: its ack id (1.2) or message id, and its held bytes. */
export interface Tracked {
  ackId: string;
  bytes: number;
}

export class Subscription implements HubSubscriber {
  /** message-id → its ack id and size, in delivery order. */
  readonly unacked = new Map<string, Tracked>();
  /** Bytes of the messages in unacked, backlog and gate (counted against the connection's budget). */
  heldBytes = 0;
  /** Messages beyond the prefetch window, waiting for ACKs. */
  backlog: Publication[] = [];
  /** Non-null while history is being replayed: live messages wait here. */
  gate: Publication[] | null = null;
  /** Pre-encoded "subscription:<id>\n" for the owner's escape mode. */
  header = '';
  closed = false;

  constructor(
    readonly owner: SubscriptionOwner,
    readonly id: string,
    readonly destination: string,
    readonly ack: AckMode,
    /** 0 = unlimited. */
    readonly prefetch: number,
  ) {}

  deliver(pub: Publication): void {
    this.owner.deliverTo(this, pub);
  }

  get windowFull(): boolean {
    return this.prefetch > 0 && this.unacked.size >= this.prefetch;
  }
}
