/**
 * Broker metrics. The hot path bumps plain numbers; prom-client reads them only when
 * /metrics is scraped (a labelled prom-client `inc` per delivery would cost more than the
 * delivery). Every limit the broker enforces shows up in `stompbox_errors_total{reason}`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

type CountMap = Record<string, number>;

export class BrokerMetrics {
  readonly registry: Registry;
  connectionsOpened = 0;
  connectionsRejected: CountMap = Object.create(null);
  openConnections = 0;
  framesIn: CountMap = Object.create(null);
  framesOut: CountMap = Object.create(null);
  deliveries = 0;
  historyDeliveries = 0;
  bytesIn = 0;
  bytesOut = 0;
  errors: CountMap = Object.create(null);
  slowConsumerDisconnects = 0;
  heartbeatTimeouts = 0;
  nacks = 0;
  /** Times a connection's reads were paused because it sent faster than SEND_RATE_PER_S. */
  sendThrottles = 0;
  /** Gauges read at scrape time, set by the broker wiring. */
  gauges: { subscriptions(): number; destinations(): number; offloadDepth(): number; ringBytes(): number; ringEvictions(): number; bufferedBytes(): number; inputPaused(): number; inputPauses(): number; budgetEvictions(): number } = {
    subscriptions: () => 0,
    destinations: () => 0,
    offloadDepth: () => 0,
    ringBytes: () => 0,
    ringEvictions: () => 0,
    bufferedBytes: () => 0,
    inputPaused: () => 0,
    inputPauses: () => 0,
    budgetEvictions: () => 0,
  };

  constructor(registry = new Registry(), defaultMetrics = false) {
    this.registry = registry;
    if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'stompbox_' });
    const m = this;
    mirror(registry, 'stompbox_connections_total', 'WebSocket connections accepted', () => m.connectionsOpened);
    mirror(registry, 'stompbox_connections_rejected_total', 'WebSocket upgrades refused, by reason', () => m.connectionsRejected, 'reason');
    mirror(registry, 'stompbox_frames_in_total', 'STOMP frames received, by command', () => m.framesIn, 'command');
    mirror(registry, 'stompbox_frames_out_total', 'STOMP frames sent, by command', () => ({ ...m.framesOut, MESSAGE: m.deliveries }), 'command');
    mirror(registry, 'stompbox_deliveries_total', 'MESSAGE frames delivered to subscribers (live and history)', () => m.deliveries);
    mirror(registry, 'stompbox_history_deliveries_total', 'MESSAGE frames replayed from history on SUBSCRIBE', () => m.historyDeliveries);
    mirror(registry, 'stompbox_bytes_in_total', 'WebSocket payload bytes received', () => m.bytesIn);
    mirror(registry, 'stompbox_bytes_out_total', 'WebSocket payload bytes queued for sending', () => m.bytesOut);
    mirror(registry, 'stompbox_errors_total', 'ERROR frames and refusals, by reason (every limit has a reason)', () => m.errors, 'reason');
    mirror(registry, 'stompbox_slow_consumer_disconnects_total', 'Connections closed for exceeding the send buffer or pending limits', () => m.slowConsumerDisconnects);
    mirror(registry, 'stompbox_heartbeat_timeouts_total', 'Connections closed for missing heart-beats', () => m.heartbeatTimeouts);
    mirror(registry, 'stompbox_send_throttles_total', 'Times reading from a connection paused because it sent faster than SEND_RATE_PER_S allows', () => m.sendThrottles);
    mirror(registry, 'stompbox_nacks_total', 'NACKed messages (discarded on topics, see README)', () => m.nacks);
    scrapedGauge(registry, 'stompbox_connections', 'Open WebSocket connections', () => m.openConnections);
    scrapedGauge(registry, 'stompbox_subscriptions', 'Active subscriptions on this node', () => m.gauges.subscriptions());
    scrapedGauge(registry, 'stompbox_destinations', 'Destinations with at least one local subscriber', () => m.gauges.destinations());
    scrapedGauge(registry, 'stompbox_offload_queue_depth', 'Messages handed to the offload and not yet confirmed', () => m.gauges.offloadDepth());
    scrapedGauge(registry, 'stompbox_recent_ring_bytes', 'Estimated bytes held by the recent rings of all rooms (RECENT_RING_MAX_BYTES bounds it)', () => m.gauges.ringBytes());
    scrapedGauge(registry, 'stompbox_buffered_bytes', 'Bytes all connections buffer together: output not yet read, input not yet handled (BUFFER_BUDGET_BYTES bounds it)', () => m.gauges.bufferedBytes());
    scrapedGauge(registry, 'stompbox_input_paused', '1 while reading from every connection is paused because the buffer budget is exceeded', () => m.gauges.inputPaused());
    mirror(registry, 'stompbox_input_pauses_total', 'Times reading was paused because the buffer budget was exceeded', () => m.gauges.inputPauses());
    mirror(registry, 'stompbox_buffer_budget_evictions_total', 'Connections closed because the buffer budget did not drain in time', () => m.gauges.budgetEvictions());
    mirror(registry, 'stompbox_recent_ring_evictions_total', 'Rooms dropped from the recent ring to stay within its room or byte bound', () => m.gauges.ringEvictions());
  }

  frameIn(command: string): void {
    this.framesIn[command] = (this.framesIn[command] ?? 0) + 1;
  }

  frameOut(command: string, n = 1): void {
    this.framesOut[command] = (this.framesOut[command] ?? 0) + n;
  }

  error(reason: string): void {
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
  }

  rejected(reason: string): void {
    this.connectionsRejected[reason] = (this.connectionsRejected[reason] ?? 0) + 1;
  }
}

/** A prom-client Counter that mirrors a plain number (or map of numbers) at scrape time. */
export function mirror(registry: Registry, name: string, help: string, read: () => number | CountMap, label?: string): void {
  const reported: CountMap = Object.create(null);
  new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect() {
      const v = read();
      if (typeof v === 'number') {
        const d = v - (reported[''] ?? 0);
        if (d > 0) this.inc(d);
        reported[''] = v;
        return;
      }
      for (const key in v) {
        const d = v[key] - (reported[key] ?? 0);
        if (d > 0) this.inc({ [label!]: key }, d);
        reported[key] = v[key];
      }
    },
  });
}

/** A prom-client Gauge that reads its value at scrape time. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
}
