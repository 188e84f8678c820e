/**
 * Node-local destination registry: destination string → its subscriptions. Lookup is one
 * Map get per SEND; destinations are opaque strings, so `*`, `#` and `**` are ordinary
 * characters (exact matching: a path matcher on every SEND is what made Spring's simple
 * broker slow). Nothing here scans all sessions. What happens on a destination's first and
 * last subscriber is the hub's business (hub.ts), not the registry's.
 */
export class DestinationRegistry<S> {
  private readonly map = new Map<string, Set<S>>();
  private subscriptionCount = 0;

  add(destination: string, sub: S): void {
    let set = this.map.get(destination);
    if (!set) {
      set = new Set();
      this.map.set(destination, set);
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
    if (set.size === 0) this.map.delete(destination);
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
