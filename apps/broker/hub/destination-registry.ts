/**
 * Node-local destination registry (DESIGN.md "exact-match destination map"): destination
 * string → its subscriptions. Lookup is one Map get per SEND; destinations are opaque
 * strings, so `*`, `#` and `**` are ordinary characters (seed 003: AntPathMatcher was the
 * bottleneck, exact `equals` matching the fix). Nothing here scans all sessions.
 *
 * Listeners hear when a destination gains its first or loses its last local subscriber,
 * the hook for cluster bindings (DESIGN.md "Cluster").
 */
export interface RegistryListener {
  onFirstSubscriber?(destination: string): void;
  onLastUnsubscribed?(destination: string): void;
}

export class DestinationRegistry<S> {
  private readonly map = new Map<string, Set<S>>();
  private subscriptionCount = 0;
  private readonly listeners: RegistryListener[] = [];

  addListener(l: RegistryListener): void {
    this.listeners.push(l);
  }

  add(destination: string, sub: S): void {
    let set = this.map.get(destination);
    if (!set) {
      set = new Set();
      this.map.set(destination, set);
      for (const l of this.listeners) l.onFirstSubscriber?.(destination);
    }
    if (!set.has(sub)) {
      set.add(sub);
      this.subscriptionCount++;
    }
  }

  /** Remove one subscription; the destination's entry goes with its last subscriber. */
  remove(destination: string, sub: S): boolean {
    const set = this.map.get(destination);
    if (!set || !set.delete(sub)) return false;
    this.subscriptionCount--;
    if (set.size === 0) {
      this.map.delete(destination);
      for (const l of this.listeners) l.onLastUnsubscribed?.(destination);
    }
    return true;
  }

  /** Subscriptions of a destination (do not mutate); undefined when none. */
  get(destination: string): ReadonlySet<S> | undefined {
    return this.map.get(destination);
  }

  get destinations(): number {
    return this.map.size;
  }

  get subscriptions(): number {
    return this.subscriptionCount;
  }
}
