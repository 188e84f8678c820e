/**
 * The SEND path (DESIGN.md "Nothing slow on the SEND path"): give the message its id,
 * hand it once to the offload (which may refuse synchronously when full — then nothing
 * was delivered and the sender gets ERROR), deliver it to this node's subscribers from
 * one encoding per variant, and remember it in the room's recent ring. The only thing
 * awaited is the offload confirm, and only by a sender that asked for a receipt.
 */
import type { MessageIdGenerator } from '../../shared/message-id';
import type { Offload } from '../../shared/queue/offload';
import type { OutboundMessage } from '../../shared/message';
import type { RoomTemplate } from '../../shared/rooms';
import type { RecentRing } from '../../shared/history/recent-ring';
import type { BrokerMetrics } from '../broker-metrics';
import type { DestinationRegistry } from './destination-registry';
import { Publication } from './publication';

/** What a subscription does with a publication; implemented by the session. */
export interface Deliverable {
  deliver(pub: Publication): void;
}

export interface SendInput {
  destination: string;
  senderId: string;
  contentType: string | null;
  headers: Record<string, string>;
  body: Buffer;
}

export class Router {
  constructor(
    private readonly registry: DestinationRegistry<Deliverable>,
    private readonly offload: Offload,
    private readonly ids: MessageIdGenerator,
    private readonly rooms: RoomTemplate,
    private readonly ring: RecentRing,
    private readonly metrics: BrokerMetrics,
  ) {}

  /**
   * Accept one SEND. Throws OffloadFullError (synchronously, before any delivery) when
   * the offload cannot take it. Returns the message and its durable-acceptance promise.
   */
  accept(input: SendInput): { msg: OutboundMessage; confirmed: Promise<void> } {
    const msg: OutboundMessage = {
      id: this.ids.next(),
      destination: input.destination,
      roomId: this.rooms.roomOf(input.destination),
      senderId: input.senderId,
      nodeId: this.ids.nodeId,
      sentAt: Date.now(),
      contentType: input.contentType,
      headers: input.headers,
      body: input.body,
    };
    const confirmed = this.offload.publish(msg);
    this.ring.add(msg);
    this.deliverLocal(new Publication(msg));
    return { msg, confirmed };
  }

  /** Fan a publication out to this node's subscribers (also used for cluster input). */
  deliverLocal(pub: Publication): void {
    const subs = this.registry.get(pub.msg.destination);
    if (!subs) return;
    for (const sub of subs) sub.deliver(pub);
  }
}
