/**
 * One broker node's link to the others through RabbitMQ (apps/README.md "Cluster"): its own
 * exclusive queue bound to exactly the destinations it has local subscribers for (Bindings),
 * the relay sending each turn's messages as one pack per destination (Outbox), and the consumer
 * handing other nodes' messages to the hub, pack by pack in arrival order.
 *
 * Three channels on one self-healing connection: publishing, binding and consuming, so that a
 * refused bind cannot stall publishing and a full socket cannot delay a bind's answer behind
 * packs. The publishing channel is in confirm mode only to hear of packs a full node queue
 * refused (counted as missed); nothing waits for a confirm. Any channel closing resets the
 * whole connection: the queue goes with it and every binding is restored on the next
 * (readiness waits for that).
 *
 * Own messages: a node publishing to a destination it has subscribers for is bound to it, so
 * RabbitMQ hands its own pack back; it was delivered locally on SEND and is skipped here by the
 * pack's `x-node` header, before decoding.
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ReconnectingAmqp } from '../../shared/queue/amqp-connection';
import { declareNodeQueue, routingKeyOf, type NodeTopology } from '../../shared/queue/node-topology';
import { decodePack, PACK_CONTENT_TYPE } from '../../shared/queue/pack-codec';
import type { DestinationHooks } from '../hub/destination-hooks';
import type { BrokerCluster, RemoteSink } from './broker-cluster';
import { Bindings } from './bindings';
import { ClusterMetrics } from './cluster-metrics';
import { Outbox, type OutboxLimits } from './outbox';
import { RejectedPacks } from './rejected-packs';

export interface ClusterOptions {
  url: string;
  nodeId: string;
  topology: NodeTopology;
  limits: OutboxLimits;
  /** Packs from other nodes un-acked at once (bounds what RabbitMQ pushes into this process). */
  prefetch: number;
  /** How long a first subscriber waits for a connection being set up before it is acknowledged anyway. */
  bindWaitMs: number;
  /** How long start() waits for the first connection (connecting goes on after). */
  startWaitMs?: number;
}

interface Link {
  pub: ConfirmChannel;
  consume: Channel;
}

export class ClusterNode implements BrokerCluster {
  readonly hooks: DestinationHooks;
  readonly relay: Outbox;
  readonly metrics: ClusterMetrics;
  private readonly bindings: Bindings;
  private readonly amqp: ReconnectingAmqp;
  private link: Link | null = null;
  private sink: RemoteSink | null = null;
  /** The last pack handled this turn (and its channel), acknowledged with those before it at the turn's end. */
  private ackCh: Channel | null = null;
  private ackMsg: ConsumeMessage | null = null;

  constructor(
    private readonly opts: ClusterOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.metrics = new ClusterMetrics(registry, opts.nodeId, {
      bound: () => this.bindings.boundCount,
      pendingMessages: () => this.relay.pending,
      pendingBytes: () => this.relay.pendingBytes,
      ready: () => (this.notReady() === null ? 1 : 0),
    });
    this.bindings = new Bindings(this.metrics, opts.bindWaitMs);
    const rejected = new RejectedPacks(this.metrics, logger);
    this.hooks = {
      firstSubscriber: (d) => this.bindings.add(d),
      lastUnsubscribed: (d) => this.bindings.remove(d),
    };
    this.relay = new Outbox(
      {
        isOpen: () => this.link !== null,
        publish: (destination, pack, count) =>
          this.link!.pub.publish(
            this.opts.topology.exchange,
            routingKeyOf(destination),
            pack,
            { contentType: PACK_CONTENT_TYPE, headers: { 'x-node': this.opts.nodeId, 'x-count': count } },
            // A nack is a full node queue; a channel that closed first fails its callbacks with
            // another error, and those packs are not known lost.
            (err) => err?.message === 'message nacked' && rejected.add(destination, count),
          ),
      },
      opts.limits,
      this.metrics,
    );
    this.amqp = new ReconnectingAmqp({ url: opts.url, role: 'cluster', noDelay: true }, (c) => this.setup(c), () => this.down(), logger, registry);
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** Destinations wanted (local subscribers), for tests and diagnostics. */
  get wanted(): ReadonlySet<string> {
    return this.bindings.wanted;
  }

  /** Connect (waits up to startWaitMs; reconnecting goes on in the background). */
  async start(): Promise<boolean> {
    const ok = await this.amqp.start(this.opts.startWaitMs ?? 5_000);
    if (!ok) this.logger.error('cluster: RabbitMQ not reachable at start; local delivery only until it is');
    return ok;
  }

  attach(sink: RemoteSink): void {
    this.sink = sink;
  }

  notReady(): string | null {
    if (!this.bindings.isAttached) return 'cluster-disconnected';
    if (!this.bindings.isReady) return 'cluster-binding';
    return null;
  }

  async close(): Promise<void> {
    this.relay.flush();
    this.link = null;
    this.bindings.detach();
    await this.amqp.close(); // the exclusive queue and its bindings go with the connection
  }

  private async setup(conn: ChannelModel): Promise<void> {
    const { topology, nodeId } = this.opts;
    // Publishing with confirms: the only way RabbitMQ tells a publisher that a full node queue refused a pack.
    const [pub, bind, consume] = await Promise.all([conn.createConfirmChannel(), conn.createChannel(), conn.createChannel()]);
    for (const [name, ch] of [['publish', pub], ['bind', bind], ['consume', consume]] as const) {
      ch.on('error', (err: Error) => this.logger.warn({ err: err.message, channel: name }, 'cluster channel error'));
      ch.on('close', () => this.amqp.reset(`cluster ${name} channel closed`));
    }
    pub.on('drain', () => this.relay.resume());
    const queue = await declareNodeQueue(bind, topology, nodeId);
    await consume.prefetch(this.opts.prefetch);
    await consume.consume(queue, (m) => this.receive(consume, m), { noAck: false, exclusive: true });
    this.link = { pub, consume };
    this.relay.resume();
    await this.bindings.restore({ ch: bind, queue, exchange: topology.exchange });
    this.logger.info({ nodeId, queue, bound: this.bindings.boundCount }, 'cluster: node queue and bindings in place');
  }

  private down(): void {
    this.link = null;
    this.bindings.detach();
    this.relay.dropAll();
  }

  private receive(ch: Channel, m: ConsumeMessage | null): void {
    if (!m) {
      this.amqp.reset('cluster queue consumer cancelled'); // the queue was deleted under us
      return;
    }
    try {
      if (m.properties.headers?.['x-node'] === this.opts.nodeId) {
        this.metrics.selfPacks++;
        return;
      }
      let msgs;
      try {
        msgs = decodePack(m.content);
      } catch (err) {
        this.metrics.badPacks++;
        this.logger.warn({ err: (err as Error).message }, 'cluster: dropped a pack that does not decode');
        return;
      }
      this.metrics.packsIn++;
      this.metrics.messagesIn += msgs.length;
      if (msgs.length > 0) this.metrics.relayLag.observe(Math.max(0, Date.now() - msgs[0].sentAt) / 1000);
      const wanted = this.bindings.wanted;
      for (const msg of msgs) {
        if (!wanted.has(msg.destination)) this.metrics.unwanted++;
        this.sink?.deliverRemote(msg);
      }
    } finally {
      this.ackLater(ch, m);
    }
  }

  /**
   * Packs are handled in delivery order and synchronously, so one `basic.ack` with `multiple`
   * set for the last of a turn acknowledges the turn's packs (AMQP 0-9-1 basic.ack): one frame
   * for RabbitMQ to process instead of one per pack.
   */
  private ackLater(ch: Channel, m: ConsumeMessage): void {
    if (this.ackMsg === null) setImmediate(this.ackTurn);
    this.ackCh = ch;
    this.ackMsg = m;
  }

  private readonly ackTurn = (): void => {
    const ch = this.ackCh;
    const m = this.ackMsg;
    this.ackCh = this.ackMsg = null;
    if (!ch || !m) return;
    try {
      ch.ack(m, true);
    } catch {
      // The channel closed meanwhile: the unacknowledged packs went with the exclusive queue.
    }
  };
}
