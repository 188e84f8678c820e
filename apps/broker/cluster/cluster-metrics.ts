/**
 * Per-node cluster metrics. The hot path bumps plain numbers (a prom-client call per message
 * would cost more than relaying it); they are read at scrape time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { histogram } from '../../shared/metrics';

/**
 * disconnected: RabbitMQ unreachable; overflow: the outbox full; rejected: a node queue was full
 * and RabbitMQ nacked the pack (some node, possibly this one's own queue, did not get it).
 */
export type MissedReason = 'disconnected' | 'overflow' | 'rejected';

export class ClusterMetrics {
  messagesOut = 0;
  packsOut = 0;
  messagesIn = 0;
  packsIn = 0;
  /** Our own packs coming back through our queue (we are bound to what we publish). */
  selfPacks = 0;
  /** Messages received for a destination with no local subscriber (expected 0: interest routing). */
  unwanted = 0;
  /** Packs that did not decode (dropped). */
  badPacks = 0;
  /** Messages this node could not hand to other nodes; their subscribers on other nodes missed them live. */
  missed: Record<MissedReason, number> = { disconnected: 0, overflow: 0, rejected: 0 };
  /** Subscribes acknowledged while RabbitMQ was unreachable (bound once it is back). */
  degradedSubscribes = 0;
  readonly bindSeconds;
  readonly relayLag;

  constructor(registry: Registry, nodeId: string, gauges: { bound(): number; pendingMessages(): number; pendingBytes(): number; ready(): number }) {
    const m = this;
    // Which node answered a scrape (several processes behind one port answer in turn).
    new Gauge({ name: 'stompbox_cluster_node_info', help: 'This node\'s id (value 1)', labelNames: ['node'], registers: [registry] }).set({ node: nodeId }, 1);
    mirror(registry, 'stompbox_cluster_messages_out_total', 'Messages relayed to other nodes', () => m.messagesOut);
    mirror(registry, 'stompbox_cluster_packs_out_total', 'AMQP messages (packs, one destination each) published to other nodes', () => m.packsOut);
    mirror(registry, 'stompbox_cluster_messages_in_total', 'Messages received from other nodes', () => m.messagesIn);
    mirror(registry, 'stompbox_cluster_packs_in_total', 'Packs received from other nodes', () => m.packsIn);
    mirror(registry, 'stompbox_cluster_self_packs_total', 'Own packs returned through this node\'s queue and skipped', () => m.selfPacks);
    mirror(registry, 'stompbox_cluster_unwanted_messages_total', 'Messages received for destinations without a local subscriber', () => m.unwanted);
    mirror(registry, 'stompbox_cluster_bad_packs_total', 'Packs from other nodes that did not decode', () => m.badPacks);
    mirror(registry, 'stompbox_cluster_degraded_subscribes_total', 'First subscribers acknowledged while RabbitMQ was unreachable', () => m.degradedSubscribes);
    const reportedMissed: Partial<Record<MissedReason, number>> = {};
    new Counter({
      name: 'stompbox_cluster_missed_total',
      help: 'Messages not relayed to other nodes (their remote subscribers missed them live; history has them), by reason',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        for (const r of Object.keys(m.missed) as MissedReason[]) this.inc({ reason: r }, m.missed[r] - (reportedMissed[r] ?? 0));
        Object.assign(reportedMissed, m.missed);
      },
    });
    scraped(registry, 'stompbox_cluster_bound_destinations', 'Destinations this node\'s queue is bound to', gauges.bound);
    scraped(registry, 'stompbox_cluster_pending_messages', 'Messages waiting to be relayed (CLUSTER_MAX_PENDING bounds it)', gauges.pendingMessages);
    scraped(registry, 'stompbox_cluster_pending_bytes', 'Bytes waiting to be relayed (CLUSTER_MAX_PENDING_BYTES bounds it)', gauges.pendingBytes);
    scraped(registry, 'stompbox_cluster_ready', '1 once this node\'s queue and bindings are in place', gauges.ready);
    // One observation per pack (its first message): the wall clocks of two processes, exact on one host.
    this.relayLag = histogram(registry, 'stompbox_cluster_relay_lag_seconds', 'From a pack\'s first message accepted at another node to its arrival here', [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5]);
    this.bindSeconds = histogram(registry, 'stompbox_cluster_bind_seconds', 'Time to bind or unbind a destination at RabbitMQ', [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2], ['op']);
  }
}

function mirror(registry: Registry, name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v > reported) this.inc(v - reported);
      reported = v;
    },
  });
}

function scraped(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
}
