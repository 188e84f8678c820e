/**
 * The STOMP session state machine: one per connection, no socket inside (the model is
 * rabbit_stomp_processor: it is given a way to write and never sees a socket). Frames
 * come in through `handleFrame`; everything goes out through `SessionIO`.
 *
 * States: awaiting-connect → connected → closed. Any protocol violation: ERROR with a short
 * `message` code (plus `receipt-id` when the bad frame asked for a receipt) and a human body,
 * then close (spec 1.2 "ERROR").
 *
 * Frames are handled in arrival order by one dispatcher (`run`), which also owns receipts:
 * a handler returns nothing (done: its receipt is due now, after earlier ones), a promise
 * (the offload's confirm: the receipt waits for it, later frames do not), or a `Blocking`
 * (it must wait for something — an authenticator, an access lookup, a cluster bind — and
 * later frames of this connection queue behind it, bounded, with the socket's reads paused).
 * The session talks to the hub (hub/hub.ts) and its authenticator, nothing else.
 */
import { randomUUID } from 'node:crypto';
import type { HistoryQuery } from '../../shared/history/history';
import type { OutboundMessage } from '../../shared/message';
import { OffloadFullError } from '../../shared/queue/offload';
import { encodeFrame, HEARTBEAT, subscriptionHeader, type MessageTemplate } from '../../shared/stomp/encoder';
import { StompProtocolError, type ProtocolErrorCode } from '../../shared/stomp/errors';
import { escapeModeFor } from '../../shared/stomp/escape';
import type { Frame, StompVersion } from '../../shared/stomp/frame';
import type { BrokerMetrics } from '../broker-metrics';
import type { Principal } from '../hub/access-policy';
import type { Accepted, Hub } from '../hub/hub';
import { Publication, RESERVED_HEADERS } from '../hub/publication';
import type { Authenticator } from './authenticator';
import { SendRate } from './send-rate';
import { sleep } from '../../shared/sleep';
import type { Presence } from '../../shared/presence/presence';
import { Blocking, type Confirmation, type HandlerResult } from './blocking';
import { ExpiryTimer } from './expiry-timer';
import { isRestrictedReader, negotiateHeartbeat, negotiateVersion, type HeartbeatPolicy } from './negotiate';
import { ReceiptQueue } from './receipts';
import { Subscription, type AckMode, type SubscriptionOwner, type Tracked } from './subscription';

export const SERVER_NAME = 'stompbox/0.1.0';

/** Headers a SUBSCRIBE uses to ask for history (README "History and recovery"). */
export const HISTORY_LAST_HEADER = 'x-history-last';
export const HISTORY_AFTER_HEADER = 'x-history-after';

/** The transport side of a session. */
export interface SessionIO {
  /** Queue one STOMP frame (or heart-beat) as one WebSocket message. */
  write(bytes: Buffer): void;
  /** Queue one MESSAGE: a shared template plus this delivery's headers (no copy until flush). */
  writeMessage(template: MessageTemplate, perDelivery: string): void;
  /** Write whatever is queued, then close the socket. */
  close(): void;
  /** CONNECT succeeded: lift the pre-connect byte budget, start heart-beats. */
  connected(version: StompVersion, heartbeat: { sendMs: number; recvMs: number }): void;
  /** Stop reading from the peer while a handler waits (frames already read still arrive). */
  pauseInput(): void;
  resumeInput(): void;
}

export interface SessionLimits {
  maxSubscriptions: number;
  maxTransactions: number;
  maxFramesPerTransaction: number;
  maxPendingPerSubscription: number;
  /** Frames that may wait behind a handler that is waiting (reads are paused meanwhile). */
  maxPendingFrames: number;
  /** Bytes of messages one connection holds unacknowledged, behind prefetch or behind a history replay. */
  maxHeldBytes: number;
  /** Bytes of the frames of all open transactions of one connection. */
  maxTransactionBytes: number;
  defaultPrefetch: number;
  historyMax: number;
  androidDetect: boolean;
  heartbeat: HeartbeatPolicy;
  /** SENDs per second per connection (0: unlimited) and the burst above it. */
  sendRatePerS: number;
  sendBurst: number;
}

export interface SessionContext {
  limits: SessionLimits;
  hub: Hub;
  auth: Authenticator;
  metrics: BrokerMetrics;
  /** Told of every connection that completes CONNECT and of its end (who is online). */
  presence?: Presence;
  /** Called for unexpected (non-protocol) errors; the session then closes. */
  onInternalError?(err: unknown): void;
}

export interface Handshake {
  remoteAddress: string;
  /** WebSocket subprotocol agreed at upgrade, or null. */
  subprotocol: string | null;
  /** The upgrade request's User-Agent, if any. */
  userAgent?: string;
  /**
   * The upgrade request's bearer token (`Authorization: Bearer`, or the `access_token` query
   * parameter for browsers, which cannot set headers on a WebSocket). A credential: never log it.
   */
  token?: string;
}

type State = 'awaiting-connect' | 'connected' | 'closed';
type Handler = (this: Session, frame: Frame) => HandlerResult;
type Heartbeat = ReturnType<typeof negotiateHeartbeat>;

export class Session implements SubscriptionOwner {
  // randomUUID() returns a concatenation tree of its ~20 parts (~490 bytes, kept for the
  // session's life); toLowerCase(), a no-op on a UUID, hands it back flat (~60 bytes).
  readonly id = randomUUID().toLowerCase();
  state: State = 'awaiting-connect';
  version: StompVersion = '1.2';
  principal: Principal | null = null;
  /** Peer reads only headers StompProtocolAndroid's regex accepts. */
  restricted = false;

  private readonly subs = new Map<string, Subscription>();
  // Made on first use, as ackIndex: most connections never begin a transaction or ACK, and
  // every connection would otherwise carry two empty maps.
  private transactions: Map<string, { frames: Frame[]; bytes: number }> | null = null;
  /** Bytes buffered in open transactions (bounded by maxTransactionBytes). */
  private transactionBytes = 0;
  /** Bytes of messages held for this connection's subscriptions (bounded by maxHeldBytes). */
  private heldBytes = 0;
  /** 1.2 ack id → its subscription and message id. */
  private ackIndex: Map<string, { sub: Subscription; messageId: string }> | null = null;
  private ackSeq = 0;
  private readonly receipts: ReceiptQueue;
  /** The last offload promise watched for failure (see `watch`). */
  private watched: Promise<void> | null = null;
  /** True while a handler waits; frames then queue in `pending`. */
  private blocked = false;
  private pending: Frame[] = [];
  /** Set by DISCONNECT: close the socket once every receipt is written. */
  private disconnecting = false;
  /** Ends the connection when its credentials expire (Principal.expiresAt). */
  private expiry: ExpiryTimer | null = null;
  /** SEND allowance (limits.sendRatePerS); null: unlimited. */
  private sendRate: SendRate | null = null;

  constructor(
    private readonly ctx: SessionContext,
    private readonly io: SessionIO,
    readonly handshake: Handshake,
  ) {
    this.receipts = new ReceiptQueue((id) => this.writeFrame('RECEIPT', { 'receipt-id': id }));
  }

  // ---------------------------------------------------------------- input

  handleFrame(frame: Frame): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.frameIn(frame.command);
    if (!this.blocked) return this.run(frame);
    if (this.pending.length >= this.ctx.limits.maxPendingFrames) {
      return this.fail(
        new StompProtocolError('too-many-pending-frames', `more than ${this.ctx.limits.maxPendingFrames} frames arrived while an earlier frame was still being handled`),
      );
    }
    this.pending.push(frame);
  }

  /**
   * The dispatcher: run one frame's handler and settle its receipt (1.2 "RECEIPT"); errors of
   * any frame become one ERROR carrying that frame's receipt id (1.2 "ERROR").
   */
  private run(frame: Frame): void {
    const receipt = frame.headers.receipt;
    let result: HandlerResult;
    try {
      const handler = HANDLERS[frame.command];
      if (!handler) throw new StompProtocolError('bad-command', `unknown command "${frame.command}"`);
      if (this.state === 'awaiting-connect' && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
        throw new StompProtocolError('not-connected', `${frame.command} before CONNECT: the first frame must be CONNECT or STOMP`);
      }
      result = handler.call(this, frame);
    } catch (e) {
      this.failWith(e, receipt);
      return;
    }
    if (result === undefined) {
      if (receipt !== undefined) this.receipts.add(receipt);
    } else if (result instanceof Blocking) {
      this.block(result, receipt);
    } else if (receipt !== undefined) {
      this.receipts.add(receipt, result, (e) => this.offloadFailed(e, receipt));
    } else {
      this.watch(result);
    }
    if (this.disconnecting) {
      this.disconnecting = false;
      this.receipts.whenDrained(() => this.io.close());
    }
  }

  /** A handler waits: hold later frames (and reads) until it is done, keeping receipt order. */
  private block(b: Blocking, receipt: string | undefined): void {
    this.blocked = true;
    this.io.pauseInput();
    const due = receipt !== undefined ? this.receipts.reserve(receipt) : null;
    b.until.then(
      (c) => {
        if (this.state === 'closed') return;
        if (c && due) c.confirmed.then(due, (e) => this.offloadFailed(e, receipt));
        else if (c) this.watch(c.confirmed);
        else due?.();
        this.unblock();
      },
      (e) => {
        this.failWith(e, receipt);
        // Reads were paused for this handler: lift that, or the peer's answer to our close
        // (RFC 6455 5.5.1) is never read and the socket lingers until the close grace ends.
        this.io.resumeInput();
      },
    );
  }

  private unblock(): void {
    this.blocked = false;
    while (!this.blocked && this.pending.length > 0 && this.state !== 'closed') this.run(this.pending.shift()!);
    if (!this.blocked && this.state !== 'closed') this.io.resumeInput();
  }

  /** A parse error from the codec or a transport limit: ERROR, then close. */
  fail(err: StompProtocolError, receiptId?: string): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.error(err.code);
    const headers: Record<string, string> = { message: err.code, ...err.headers };
    if (receiptId !== undefined) headers['receipt-id'] = receiptId;
    headers['content-type'] = 'text/plain;charset=utf-8';
    const body = Buffer.from(err.message, 'utf8');
    headers['content-length'] = String(body.length);
    this.writeFrame('ERROR', headers, body);
    this.shutdown();
    this.io.close();
  }

  /** The socket is gone (close without DISCONNECT is a normal disconnect for Android). */
  handleClose(): void {
    if (this.state === 'closed') return;
    this.shutdown();
  }

  /** Send a heart-beat EOL (called by the transport's timer). */
  heartbeat(): void {
    if (this.state === 'connected') this.io.write(HEARTBEAT);
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  // ---------------------------------------------------------------- handlers

  /** 1.2 "CONNECT or STOMP Frame", "Protocol Negotiation", "Heart-beating". */
  onConnect(frame: Frame): HandlerResult {
    if (this.state !== 'awaiting-connect') {
      throw new StompProtocolError('already-connected', 'CONNECT received on a connection that is already connected');
    }
    const h = frame.headers;
    const version = negotiateVersion(h['accept-version']);
    // 1.2 "CONNECT or STOMP Frame": host is required by the spec, but Android omits it; we accept either.
    const heartbeat = negotiateHeartbeat(h['heart-beat'], this.ctx.limits.heartbeat);
    const result = this.ctx.auth.authenticate(h, this.handshake.token);
    if (result instanceof Promise) return new Blocking(result.then((principal) => this.finishConnect(principal, h, version, heartbeat)));
    this.finishConnect(result, h, version, heartbeat);
  }

  /**
   * CONNECT's second half, once the principal is known. A method rather than a closure made in
   * onConnect: the build keeps names (esbuild keepNames), and naming a closure at run time costs
   * a property dictionary and a map transition on every CONNECT.
   */
  private finishConnect(principal: Principal, h: Frame['headers'], version: StompVersion, heartbeat: Heartbeat): void {
    if (this.state === 'closed') return;
    this.principal = principal;
    this.version = version;
    this.restricted = isRestrictedReader(h, this.handshake, this.ctx.limits.androidDetect);
    this.state = 'connected';
    this.io.connected(version, { sendMs: heartbeat.sendMs, recvMs: heartbeat.recvMs });
    const connected: Record<string, string> = {
      version,
      'heart-beat': heartbeat.header,
      session: this.id,
      server: SERVER_NAME,
    };
    if (!this.restricted || /^[^:\s]+$/.test(principal.userId)) connected['user-name'] = principal.userId;
    this.writeFrame('CONNECTED', connected);
    this.ctx.presence?.connected(principal.userId, this.id);
    const { sendRatePerS, sendBurst } = this.ctx.limits;
    if (sendRatePerS > 0) this.sendRate = new SendRate(sendRatePerS, sendBurst);
    if (principal.expiresAt !== undefined) {
      this.expiry = new ExpiryTimer(principal.expiresAt, () =>
        this.fail(new StompProtocolError('token-expired', 'the access token has expired; reconnect with a fresh one')),
      );
    }
  }

  /** 1.2 "SEND". */
  onSend(frame: Frame): HandlerResult {
    const destination = requireHeader(frame, 'destination');
    const wait = this.sendRate?.take() ?? 0;
    if (wait > 0) {
      // Over its rate: this SEND waits, and the frames (and reads) behind it with it.
      this.ctx.metrics.sendThrottles++;
      return new Blocking(
        sleep(wait).then(() => {
          if (this.state === 'closed') return;
          const r = this.sendNow(frame, destination);
          return r instanceof Blocking ? r.until : r ? { confirmed: r } : undefined;
        }),
      );
    }
    return this.sendNow(frame, destination);
  }

  private sendNow(frame: Frame, destination: string): Blocking | Promise<void> | void {
    if (this.enlist(frame)) return;
    const r = this.publish(frame, destination);
    return r instanceof Promise ? new Blocking(r) : r.confirmed;
  }

  /**
   * Fail the session if a receipt-less SEND is never confirmed. Offloads share one promise
   * per pack (or one resolved promise), so watching each distinct promise once keeps the
   * SEND path free of a handler allocation per message.
   */
  private watch(confirmed: Promise<void>): void {
    if (confirmed === this.watched) return;
    this.watched = confirmed;
    confirmed.catch((this.onUnconfirmed ??= (e: unknown) => this.offloadFailed(e)));
  }

  /**
   * Made on the first SEND: an idle connection never needs it, and as a class field it would be
   * an arrow per session that the build also names at run time (esbuild keepNames), which gives
   * it a property dictionary of its own.
   */
  private onUnconfirmed: ((e: unknown) => void) | null = null;

  /** 1.2 "SUBSCRIBE"; prefetch-count as RabbitMQ's STOMP plugin defines it. */
  onSubscribe(frame: Frame): HandlerResult {
    const h = frame.headers;
    // `/user/queue/{name}` names this user's own queue: registered under the user's id.
    const destination = this.ctx.hub.subscriptionDestination(requireHeader(frame, 'destination'), this.principal!);
    // 1.0 makes id optional; the destination then identifies the subscription.
    const id = this.version === '1.0' ? (h.id ?? destination) : requireHeader(frame, 'id');
    if (this.subs.has(id)) {
      throw new StompProtocolError('duplicate-subscription', `subscription id "${id}" is already in use on this connection`);
    }
    if (this.subs.size >= this.ctx.limits.maxSubscriptions) {
      throw new StompProtocolError('too-many-subscriptions', `at most ${this.ctx.limits.maxSubscriptions} subscriptions per connection`);
    }
    const ack = (h.ack ?? 'auto') as AckMode;
    if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') {
      throw new StompProtocolError('bad-header-value', `ack must be auto, client or client-individual, got "${h.ack}"`);
    }
    const prefetch = h['prefetch-count'] !== undefined ? parseCount(h['prefetch-count'], 'prefetch-count') : this.ctx.limits.defaultPrefetch;
    const query = this.historyQuery(destination, h);

    const sub = new Subscription(this, id, destination, ack, ack === 'auto' ? 0 : prefetch);
    sub.header = subscriptionHeader(id, escapeModeFor(this.version, 'MESSAGE'));
    // Live messages wait in the gate until the history replay is written (no gap, no duplicate).
    if (query) sub.gate = [];
    this.subs.set(id, sub);
    const registered = this.ctx.hub.subscribe(sub, this.principal!);
    if (!registered) {
      if (query) this.replayHistory(sub, query);
      return;
    }
    return new Blocking(
      registered.then(
        () => {
          if (query && !sub.closed) this.replayHistory(sub, query);
        },
        (e: unknown) => {
          this.subs.delete(id);
          sub.closed = true;
          throw e instanceof StompProtocolError ? e : new StompProtocolError('subscribe-failed', `could not subscribe to "${destination}": ${describe(e)}`);
        },
      ),
    );
  }

  /** 1.2 "UNSUBSCRIBE". */
  onUnsubscribe(frame: Frame): HandlerResult {
    const id = this.version === '1.0' ? (frame.headers.id ?? requireHeader(frame, 'destination')) : requireHeader(frame, 'id');
    const sub = this.subs.get(id);
    if (!sub) throw new StompProtocolError('unknown-subscription', `no subscription with id "${id}" on this connection`);
    this.dropSubscription(sub);
  }

  /** 1.2 "ACK" / "NACK" (1.1: message-id + subscription; 1.0: message-id). */
  onAck(frame: Frame): HandlerResult {
    if (this.enlist(frame)) return;
    this.applyAck(frame);
  }

  /** 1.2 "BEGIN". */
  onBegin(frame: Frame): HandlerResult {
    const tx = requireHeader(frame, 'transaction');
    this.transactions ??= new Map();
    if (this.transactions.has(tx)) throw new StompProtocolError('duplicate-transaction', `transaction "${tx}" is already open`);
    if (this.transactions.size >= this.ctx.limits.maxTransactions) {
      throw new StompProtocolError('too-many-transactions', `at most ${this.ctx.limits.maxTransactions} open transactions per connection`);
    }
    this.transactions.set(tx, { frames: [], bytes: 0 });
  }

  /** 1.2 "COMMIT": run the transaction's SENDs and ACKs in order; the receipt waits for their confirms. */
  onCommit(frame: Frame): HandlerResult {
    return this.runTransaction(this.takeTransaction(frame), 0, []);
  }

  /** 1.2 "ABORT". */
  onAbort(frame: Frame): HandlerResult {
    this.takeTransaction(frame);
  }

  /** 1.2 "DISCONNECT": the RECEIPT follows every earlier receipt, then the socket closes. */
  onDisconnect(): HandlerResult {
    this.shutdown();
    this.disconnecting = true;
  }

  // ---------------------------------------------------------------- delivery

  /** Called by the hub for each publication on a subscribed destination. */
  deliverTo(sub: Subscription, pub: Publication): void {
    if (sub.closed) return;
    if (sub.gate) this.hold(sub, sub.gate, pub);
    else this.deliverNow(sub, pub);
  }

  private deliverNow(sub: Subscription, pub: Publication): void {
    if (sub.ack === 'auto') {
      this.writeMessage(pub, sub.header);
      return;
    }
    if (sub.windowFull) this.hold(sub, sub.backlog, pub);
    else this.sendTracked(sub, pub);
  }

  /** Park a message (history gate or prefetch backlog), bounded: past the limit the client is slow. */
  private hold(sub: Subscription, list: Publication[], pub: Publication): void {
    if (list.length >= this.ctx.limits.maxPendingPerSubscription) {
      return this.slowConsumer(
        `subscription "${sub.id}" has more than ${this.ctx.limits.maxPendingPerSubscription} messages waiting (unacknowledged or history pending); the connection is closed`,
      );
    }
    if (!this.addHeld(sub, pub.bytes)) return;
    list.push(pub);
  }

  private sendTracked(sub: Subscription, pub: Publication): void {
    const messageId = pub.msg.id;
    const bytes = pub.bytes;
    if (!this.addHeld(sub, bytes)) return;
    if (this.version === '1.2') {
      const ackId = String(++this.ackSeq);
      sub.unacked.set(messageId, { ackId, bytes });
      (this.ackIndex ??= new Map()).set(ackId, { sub, messageId });
      this.writeMessage(pub, sub.header + 'ack:' + ackId + '\n');
    } else {
      sub.unacked.set(messageId, { ackId: messageId, bytes });
      this.writeMessage(pub, sub.header);
    }
  }

  /** Count bytes held for `sub`; false (and the connection failed as slow) past the budget. */
  private addHeld(sub: Subscription, bytes: number): boolean {
    if (this.heldBytes + bytes > this.ctx.limits.maxHeldBytes && this.heldBytes > 0) {
      this.slowConsumer(
        `more than ${this.ctx.limits.maxHeldBytes} bytes of messages held for this connection (unacknowledged, behind prefetch or behind a history replay); the connection is closed`,
      );
      return false;
    }
    sub.heldBytes += bytes;
    this.heldBytes += bytes;
    return true;
  }

  private releaseHeld(sub: Subscription, bytes: number): void {
    sub.heldBytes -= bytes;
    this.heldBytes -= bytes;
  }

  private writeMessage(pub: Publication, perDelivery: string): void {
    if (this.state !== 'connected') return;
    const m = this.ctx.metrics;
    m.deliveries++;
    if (pub.history) m.historyDeliveries++;
    this.io.writeMessage(pub.template(this.version, this.restricted), perDelivery);
  }

  private slowConsumer(reason: string): void {
    this.ctx.metrics.slowConsumerDisconnects++;
    this.fail(new StompProtocolError('slow-consumer', reason));
  }

  // ---------------------------------------------------------------- internals

  /** Hand one SEND to the hub: its confirm, or a promise when an access check must look something up. */
  private publish(frame: Frame, destination: string): Accepted | Promise<Accepted> {
    const h = frame.headers;
    const headers: Record<string, string> = {};
    for (const name in h) {
      // Postgres text and jsonb cannot hold U+0000: refuse before the RECEIPT promises storage.
      if (h[name].includes('\u0000') || name.includes('\u0000')) {
        throw new StompProtocolError('bad-header-value', `header "${name.replace(/\u0000/g, '\\0')}" contains a NUL character, which cannot be stored`);
      }
      if (!RESERVED_HEADERS.has(name)) headers[name] = h[name];
    }
    const input = { destination, contentType: h['content-type'] ?? null, headers, body: frame.body };
    try {
      const r = this.ctx.hub.publish(input, this.principal!);
      return r instanceof Promise ? r.catch(rethrowOffloadFull) : r;
    } catch (e) {
      return rethrowOffloadFull(e);
    }
  }

  /** A transaction's frames in order from `i`; blocks (and resumes here) when a SEND must wait. */
  private runTransaction(frames: Frame[], i: number, confirms: Promise<void>[]): HandlerResult {
    for (; i < frames.length; i++) {
      const f = frames[i];
      if (f.command !== 'SEND') {
        this.applyAck(f);
        continue;
      }
      const r = this.publish(f, f.headers.destination);
      if (r instanceof Promise) {
        const next = i + 1;
        return new Blocking(
          r.then((accepted): Promise<Confirmation | void> | Confirmation => {
            confirms.push(accepted.confirmed);
            const rest = this.runTransaction(frames, next, confirms);
            if (rest instanceof Blocking) return rest.until;
            return { confirmed: rest ?? Promise.resolve() };
          }),
        );
      }
      confirms.push(r.confirmed);
    }
    return confirms.length === 0 ? undefined : confirms.length === 1 ? confirms[0] : Promise.all(confirms).then(() => undefined);
  }

  private offloadFailed(e: unknown, receiptId?: string): void {
    this.fail(new StompProtocolError('offload-failed', `message could not be stored durably: ${describe(e)}`), receiptId);
  }

  /** Buffer a SEND/ACK/NACK that names a transaction; true when it did. */
  private enlist(frame: Frame): boolean {
    const tx = frame.headers.transaction;
    if (tx === undefined) return false;
    const open = this.transactions?.get(tx);
    if (!open) throw new StompProtocolError('unknown-transaction', `transaction "${tx}" was not begun on this connection`);
    if (open.frames.length >= this.ctx.limits.maxFramesPerTransaction) {
      throw new StompProtocolError('transaction-too-large', `at most ${this.ctx.limits.maxFramesPerTransaction} frames per transaction`);
    }
    const bytes = frameBytes(frame);
    if (this.transactionBytes + bytes > this.ctx.limits.maxTransactionBytes) {
      throw new StompProtocolError('transaction-too-large', `at most ${this.ctx.limits.maxTransactionBytes} bytes in the open transactions of one connection`);
    }
    open.frames.push(frame);
    open.bytes += bytes;
    this.transactionBytes += bytes;
    return true;
  }

  private takeTransaction(frame: Frame): Frame[] {
    const tx = requireHeader(frame, 'transaction');
    const open = this.transactions?.get(tx);
    if (!open) throw new StompProtocolError('unknown-transaction', `transaction "${tx}" was not begun on this connection`);
    this.transactions!.delete(tx);
    this.transactionBytes -= open.bytes;
    return open.frames;
  }

  private applyAck(frame: Frame): void {
    const h = frame.headers;
    const nack = frame.command === 'NACK';
    let sub: Subscription | undefined;
    let messageId: string;
    if (this.version === '1.2') {
      const ackId = requireHeader(frame, 'id');
      const entry = this.ackIndex?.get(ackId);
      if (!entry) throw new StompProtocolError('unknown-ack', `${frame.command} of unknown or already acknowledged ack id "${ackId}"`);
      sub = entry.sub;
      messageId = entry.messageId;
    } else {
      messageId = requireHeader(frame, 'message-id');
      if (this.version === '1.1') sub = this.subs.get(requireHeader(frame, 'subscription'));
      else sub = h.subscription !== undefined ? this.subs.get(h.subscription) : [...this.subs.values()].find((s) => s.unacked.has(messageId));
      if (!sub || !sub.unacked.has(messageId)) {
        throw new StompProtocolError('unknown-ack', `${frame.command} of unknown or already acknowledged message "${messageId}"`);
      }
    }
    // client mode is cumulative: everything delivered up to this message (1.2 "SUBSCRIBE ack Header").
    let removed = 0;
    if (sub.ack === 'client') {
      for (const [mid, tracked] of sub.unacked) {
        this.forget(sub, mid, tracked);
        removed++;
        if (mid === messageId) break;
      }
    } else {
      this.forget(sub, messageId, sub.unacked.get(messageId)!);
      removed = 1;
    }
    // NACK on a topic: there is no queue to requeue into; the message is dropped for this
    // subscriber (it stays in the room's history) and counted (README "ACK and NACK").
    if (nack) this.ctx.metrics.nacks += removed;
    this.drainBacklog(sub);
  }

  /** Drop one delivered message from the pending ACK bookkeeping. */
  private forget(sub: Subscription, messageId: string, tracked: Tracked): void {
    sub.unacked.delete(messageId);
    this.releaseHeld(sub, tracked.bytes);
    if (this.version === '1.2') this.ackIndex?.delete(tracked.ackId);
  }

  private drainBacklog(sub: Subscription): void {
    while (sub.backlog.length > 0 && !sub.windowFull && this.state === 'connected') {
      const pub = sub.backlog.shift()!;
      this.releaseHeld(sub, pub.bytes);
      this.sendTracked(sub, pub);
    }
  }

  private historyQuery(destination: string, h: Frame['headers']): HistoryQuery | null {
    const last = h[HISTORY_LAST_HEADER];
    const after = h[HISTORY_AFTER_HEADER];
    if (last === undefined && after === undefined) return null;
    const roomId = this.ctx.hub.roomOf(destination);
    if (roomId === null) return null; // only rooms have history
    const max = this.ctx.limits.historyMax;
    if (after !== undefined) {
      if (!/^[A-Za-z0-9_.\-]{1,100}$/.test(after)) {
        throw new StompProtocolError('bad-header-value', `${HISTORY_AFTER_HEADER} must be a message id, got "${after.slice(0, 40)}"`);
      }
      const limit = last !== undefined ? Math.min(parseCount(last, HISTORY_LAST_HEADER), max) : max;
      return { kind: 'after', roomId, afterId: after, limit };
    }
    const n = Math.min(parseCount(last!, HISTORY_LAST_HEADER), max);
    return n > 0 ? { kind: 'last', roomId, limit: n } : null;
  }

  /** Called right after the subscriber is registered (the hub reads its recent ring now). */
  private replayHistory(sub: Subscription, q: HistoryQuery): void {
    this.ctx.hub.history(q).then(
      (msgs: OutboundMessage[]) => {
        if (sub.closed || this.state !== 'connected') return;
        const seen = new Set<string>();
        const gate = sub.gate ?? [];
        sub.gate = null;
        for (const pub of gate) this.releaseHeld(sub, pub.bytes);
        for (const m of msgs) {
          seen.add(m.id);
          this.deliverNow(sub, new Publication(m, true));
        }
        for (const pub of gate) if (!seen.has(pub.msg.id)) this.deliverNow(sub, pub);
      },
      (e) => {
        if (sub.closed) return;
        this.fail(new StompProtocolError('history-failed', `could not load history for "${sub.destination}": ${describe(e)}`));
      },
    );
  }

  private dropSubscription(sub: Subscription): void {
    sub.closed = true;
    this.subs.delete(sub.id);
    this.ctx.hub.unsubscribe(sub);
    if (this.version === '1.2' && this.ackIndex) for (const t of sub.unacked.values()) this.ackIndex.delete(t.ackId);
    this.releaseHeld(sub, sub.heldBytes);
    sub.unacked.clear();
    sub.backlog = [];
    sub.gate = null;
  }

  /** Leave no residue: subscriptions out of the hub, transactions aborted, queued frames dropped. */
  private shutdown(): void {
    if (this.state === 'closed') return;
    if (this.state === 'connected') this.ctx.presence?.disconnected(this.principal!.userId, this.id);
    this.state = 'closed';
    this.expiry?.cancel();
    this.expiry = null;
    for (const sub of [...this.subs.values()]) this.dropSubscription(sub);
    this.transactions = null;
    this.transactionBytes = 0;
    this.ackIndex = null;
    this.pending = [];
  }

  private failWith(e: unknown, receiptId?: string): void {
    if (e instanceof StompProtocolError) return this.fail(e, receiptId);
    this.ctx.onInternalError?.(e);
    this.fail(new StompProtocolError('internal-error', 'internal error while processing the frame'), receiptId);
  }

  private writeFrame(command: string, headers: Record<string, string>, body?: Buffer): void {
    this.ctx.metrics.frameOut(command);
    // Before CONNECT, `version` is still its 1.2 default: a pre-CONNECT ERROR is escaped as 1.2.
    this.io.write(encodeFrame(command, headers, body, this.version));
  }
}

function requireHeader(frame: Frame, name: string): string {
  const v = frame.headers[name];
  if (v === undefined || v === '') {
    throw new StompProtocolError('missing-header', `${frame.command} requires a "${name}" header`);
  }
  return v;
}

function parseCount(v: string, name: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new StompProtocolError('bad-header-value', `${name} must be a non-negative integer, got "${v.slice(0, 40)}"`);
  return Number(v);
}

/** Bytes a buffered frame keeps: body, header names and values, and a fixed overhead. */
function frameBytes(frame: Frame): number {
  let n = 64 + frame.body.length;
  for (const name in frame.headers) n += name.length + frame.headers[name].length + 16;
  return n;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The offload refused (full or known unavailable): the sender is told to retry. */
function rethrowOffloadFull(e: unknown): never {
  if (e instanceof OffloadFullError) throw new StompProtocolError('offload-full', `message not accepted: ${e.message}; retry later`);
  throw e;
}

/** One table from command to handler (spec 1.2 "Client Frames"). */
const HANDLERS: Record<string, Handler> = {
  CONNECT: Session.prototype.onConnect,
  STOMP: Session.prototype.onConnect,
  SEND: Session.prototype.onSend,
  SUBSCRIBE: Session.prototype.onSubscribe,
  UNSUBSCRIBE: Session.prototype.onUnsubscribe,
  ACK: Session.prototype.onAck,
  NACK: Session.prototype.onAck,
  BEGIN: Session.prototype.onBegin,
  COMMIT: Session.prototype.onCommit,
  ABORT: Session.prototype.onAbort,
  DISCONNECT: Session.prototype.onDisconnect,
};

export type { ProtocolErrorCode };
