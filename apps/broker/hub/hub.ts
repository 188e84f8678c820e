/**
 * The hub: the one façade between sessions and the machinery. It owns the destination
 * registry, the offload, message ids, the recent ring and the history source, and offers
 * sessions four calls: subscribe, unsubscribe, publish, history. Two hooks plug in here:
 * an access policy checked before subscribe and publish, and the destination hooks called on
 * a destination's first local subscriber and after its last (serialised per destination,
 * with the subscriber rolled back when the first-subscriber hook fails).
 *
 * Nothing slow sits on the SEND path: with no hook waiting, publish is synchronous — one id,
 * one offload publish, one ring entry, one Map lookup and the local fan-out — and the only
 * thing anyone awaits is the offload's confirm, by a sender that asked for a receipt.
 */
import type { HistoryQuery, HistorySource } from '../../shared/history/history';
import type { RecentRing } from '../../shared/history/recent-ring';
import { loadHistory } from '../../shared/history/ring-merge';
import type { OutboundMessage } from '../../shared/message';
import type { MessageIdGenerator } from '../../shared/message-id';
import type { Offload } from '../../shared/queue/offload';
import type { RoomTemplate } from '../../shared/rooms';
import type { AccessPolicy, Principal } from './access-policy';
import type { DestinationHooks } from './destination-hooks';
import type { Relay } from './relay';
import { DestinationRegistry } from './destination-registry';
import { KeyedQueue } from './keyed-queue';
import { Publication } from './publication';
import { aliasQueueName, userQueueDestination } from './user-destinations';

/** One subscription as the hub sees it; implemented by the session's Subscription. */
export interface HubSubscriber {
  readonly destination: string;
  deliver(pub: Publication): void;
}

export interface SendInput {
  destination: string;
  contentType: string | null;
  headers: Record<string, string>;
  body: Buffer;
}

/** An accepted SEND: its message, and the promise that it was durably accepted. */
export interface Accepted {
  msg: OutboundMessage;
  confirmed: Promise<void>;
}

export interface HubDeps {
  ids: MessageIdGenerator;
  offload: Offload;
  rooms: RoomTemplate;
  ring: RecentRing;
  history: HistorySource;
  access?: AccessPolicy;
  hooks?: DestinationHooks;
  /** Other broker nodes: each accepted SEND is handed here after the local fan-out. */
  relay?: Relay;
  /** A last-unsubscribe hook failed (the binding may linger: extra traffic, never loss). */
  onHookError?(destination: string, err: unknown): void;
}

export class Hub {
  private readonly registry = new DestinationRegistry<HubSubscriber>();
  /** Destinations whose first-subscriber hook has completed (and no last-unsubscribe since). */
  private readonly bound = new Set<string>();
  private readonly serial = new KeyedQueue();
  private readonly ids: MessageIdGenerator;
  private readonly offload: Offload;
  private readonly rooms: RoomTemplate;
  private readonly ring: RecentRing;
  private readonly source: HistorySource;
  private readonly access: AccessPolicy | undefined;
  private readonly hooks: DestinationHooks | undefined;
  private readonly relay: Relay | undefined;
  private readonly onHookError: (destination: string, err: unknown) => void;

  constructor(deps: HubDeps) {
    this.ids = deps.ids;
    this.offload = deps.offload;
    this.rooms = deps.rooms;
    this.ring = deps.ring;
    this.source = deps.history;
    this.access = deps.access;
    this.hooks = deps.hooks;
    this.relay = deps.relay;
    this.onHookError = deps.onHookError ?? (() => {});
  }

  get nodeId(): string {
    return this.ids.nodeId;
  }

  /** The room a destination names, or null for plain pub/sub. */
  roomOf(destination: string): string | null {
    return this.rooms.roomOf(destination);
  }

  get destinations(): number {
    return this.registry.destinations;
  }

  get subscriptions(): number {
    return this.registry.subscriptions;
  }

  /** Where a SUBSCRIBE to `destination` is registered: `/user/queue/{name}` becomes the user's own queue. */
  subscriptionDestination(destination: string, who: Principal): string {
    const name = aliasQueueName(destination);
    return name === null ? destination : userQueueDestination(who.userId, name);
  }

  /**
   * Send to every connection of `userId` subscribed to `/user/queue/{name}` (REST, the
   * consumer): the caller has decided it may; no access check here.
   */
  sendToUser(userId: string, name: string, input: Omit<SendInput, 'destination'>, sender: Principal): Accepted {
    return this.accept({ ...input, destination: userQueueDestination(userId, name) }, sender, null);
  }

  /**
   * Register a subscriber. Returns nothing when it is registered and ready at once; otherwise a
   * promise that resolves once it is (access decided, destination bound) and rejects — with
   * the subscriber already forgotten — when access is denied or the first-subscriber hook fails.
   */
  subscribe(sub: HubSubscriber, who: Principal): void | Promise<void> {
    const check = this.access?.checkSubscribe(who, sub.destination, this.rooms.roomOf(sub.destination));
    if (check) return check.then(() => this.register(sub));
    return this.register(sub);
  }

  /** Forget a subscriber; the last one of a destination triggers the last-unsubscribe hook. */
  unsubscribe(sub: HubSubscriber): void {
    const destination = sub.destination;
    if (!this.registry.remove(destination, sub) || !this.hooks) return;
    if (this.registry.get(destination)) return;
    if (!this.bound.has(destination) && !this.serial.busy(destination)) return;
    this.serial.run(destination, () => this.ensureUnbound(destination));
  }

  /**
   * Accept one SEND from `who`: synchronous unless the access policy must look something up.
   * Throws OffloadFullError (before any delivery) when the offload cannot take it.
   */
  publish(input: SendInput, who: Principal): Accepted | Promise<Accepted> {
    const roomId = this.rooms.roomOf(input.destination);
    const check = this.access?.checkPublish(who, input.destination, roomId);
    if (check) return check.then(() => this.accept(input, who, roomId));
    return this.accept(input, who, roomId);
  }

  /**
   * History for a SUBSCRIBE: the stored messages merged with what this node routed recently
   * (the ring is read now, synchronously, so call this right after the subscriber is
   * registered: nothing falls between the two).
   */
  history(q: HistoryQuery): Promise<OutboundMessage[]> {
    return loadHistory(this.source, q, this.ring.snapshot(q.roomId));
  }

  /** Fan a publication out to this node's subscribers (local SENDs and other nodes' messages). */
  deliverLocal(pub: Publication): void {
    const subs = this.registry.get(pub.msg.destination);
    if (!subs) return;
    for (const sub of subs) sub.deliver(pub);
  }

  /**
   * A message another node accepted: into the recent ring (history merges it like a local one)
   * and out to this node's subscribers. Never relayed again.
   */
  deliverRemote(msg: OutboundMessage): void {
    this.ring.add(msg);
    this.deliverLocal(new Publication(msg));
  }

  /** Resolves once the hooks queued so far for `destination` have run (tests, drain). */
  settled(destination: string): Promise<void> {
    return this.serial.settled(destination);
  }

  private accept(input: SendInput, who: Principal, roomId: string | null): Accepted {
    const msg: OutboundMessage = {
      id: this.ids.next(),
      destination: input.destination,
      roomId,
      senderId: who.userId,
      nodeId: this.ids.nodeId,
      sentAt: Date.now(),
      contentType: input.contentType,
      headers: input.headers,
      body: input.body,
    };
    const confirmed = this.offload.publish(msg);
    this.ring.add(msg);
    this.deliverLocal(new Publication(msg));
    this.relay?.publish(msg);
    return { msg, confirmed };
  }

  private register(sub: HubSubscriber): void | Promise<void> {
    const destination = sub.destination;
    this.registry.add(destination, sub);
    if (!this.hooks) return;
    // Already bound and nothing queued: the fast path, no hook for a second subscriber.
    if (this.bound.has(destination) && !this.serial.busy(destination)) return;
    return this.serial.run(destination, () => this.ensureBound(destination)).catch((err: unknown) => {
      this.registry.remove(destination, sub);
      throw err;
    });
  }

  private async ensureBound(destination: string): Promise<void> {
    // Everyone left while this waited: there is nothing to bind for.
    if (this.bound.has(destination) || !this.registry.get(destination)) return;
    await this.hooks!.firstSubscriber(destination);
    this.bound.add(destination);
  }

  private async ensureUnbound(destination: string): Promise<void> {
    // A subscriber came back while this waited: the binding stays (the sequence coalesces).
    if (!this.bound.has(destination) || this.registry.get(destination)) return;
    try {
      await this.hooks!.lastUnsubscribed(destination);
      this.bound.delete(destination);
    } catch (err) {
      this.onHookError(destination, err);
    }
  }
}
