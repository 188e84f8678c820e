/**
 * What the hub calls when a destination gains its first local subscriber or loses its last:
 * the cluster binds the node's queue to the destination before the first subscriber's
 * SUBSCRIBE is answered, and unbinds after the last leaves. Calls for one destination never
 * overlap and come in order (the hub serialises them); a failed first-subscriber call makes
 * that SUBSCRIBE fail and the hub forgets the subscriber again.
 */
export interface DestinationHooks {
  firstSubscriber(destination: string): Promise<void>;
  lastUnsubscribed(destination: string): Promise<void>;
}
