/**
 * Which destinations this node's queue is bound to, kept equal to the destinations with local
 * subscribers. The hub calls add/remove serialised per destination (its hooks), so one
 * destination never has two operations in flight and every quick subscribe / unsubscribe /
 * subscribe sequence ends in the right state.
 *
 * Across a lost connection: the exclusive queue and its bindings vanish with it; `wanted`
 * survives, and on the next connection `restore` binds all of it (and whatever is added or
 * removed meanwhile) before the node counts as ready. While RabbitMQ is unreachable a first
 * subscriber is still acknowledged, so chat on this node keeps working; it is counted and bound
 * when the link is back. While a new connection is being set up, a first subscriber waits for it.
 */
import type { Channel } from 'amqplib';
import { routingKeyOf } from '../../shared/queue/node-topology';
import type { ClusterMetrics } from './cluster-metrics';

interface Target {
  ch: Channel;
  queue: string;
  exchange: string;
}

export class Bindings {
  /** Destinations with local subscribers (as the hub's hooks say). */
  readonly wanted = new Set<string>();
  /** Destinations bound on the current connection. */
  private readonly bound = new Set<string>();
  private target: Target | null = null;
  private ready = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly metrics: ClusterMetrics,
    /** How long a first subscriber waits for a connection being set up. */
    private readonly waitMs: number,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  get isAttached(): boolean {
    return this.target !== null;
  }

  get boundCount(): number {
    return this.bound.size;
  }

  async add(destination: string): Promise<void> {
    this.wanted.add(destination);
    if (!this.ready) {
      if (this.target) await this.waitReady();
      if (this.bound.has(destination)) return;
      this.metrics.degradedSubscribes++;
      return;
    }
    const t = this.target!;
    try {
      await this.timed('bind', t.ch.bindQueue(t.queue, t.exchange, routingKeyOf(destination)));
      this.bound.add(destination);
    } catch (err) {
      // The link went meanwhile: `restore` binds it on the next one. Otherwise RabbitMQ refused.
      if (this.target !== t) return;
      this.wanted.delete(destination);
      throw err;
    }
  }

  async remove(destination: string): Promise<void> {
    this.wanted.delete(destination);
    if (!this.ready) return; // `restore` leaves it unbound, or the queue is gone anyway
    const t = this.target!;
    try {
      await this.timed('unbind', t.ch.unbindQueue(t.queue, t.exchange, routingKeyOf(destination)));
      this.bound.delete(destination);
    } catch (err) {
      if (this.target !== t) return;
      // The hub keeps it bound after a failed unbind: keep wanting it, or a reconnect would drop
      // the binding of its next subscribers.
      this.wanted.add(destination);
      throw err;
    }
  }

  /**
   * A new connection with a fresh queue: bind everything wanted, then follow whatever changed
   * while those binds were in flight, and only then count as ready (readiness = bindings in
   * place). Hook calls do not touch the channel until then.
   */
  async restore(t: Target): Promise<void> {
    this.target = t;
    this.bound.clear();
    for (;;) {
      const toBind = [...this.wanted].filter((d) => !this.bound.has(d));
      const toUnbind = [...this.bound].filter((d) => !this.wanted.has(d));
      if (toBind.length === 0 && toUnbind.length === 0) break;
      // Pipelined on one channel: ~1,000 binds in about 0.6 s.
      await Promise.all([
        ...toBind.map((d) => this.timed('bind', t.ch.bindQueue(t.queue, t.exchange, routingKeyOf(d))).then(() => void this.bound.add(d))),
        ...toUnbind.map((d) => this.timed('unbind', t.ch.unbindQueue(t.queue, t.exchange, routingKeyOf(d))).then(() => void this.bound.delete(d))),
      ]);
      if (this.target !== t) return;
    }
    this.ready = true;
    this.wake();
  }

  /** The connection is gone, and its queue with every binding. */
  detach(): void {
    this.target = null;
    this.ready = false;
    this.bound.clear();
    this.wake();
  }

  private waitReady(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.waitMs);
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async timed(op: 'bind' | 'unbind', p: Promise<unknown>): Promise<void> {
    const end = this.metrics.bindSeconds.startTimer({ op });
    await p;
    end();
  }
}
