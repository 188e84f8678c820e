/**
 * Where the hub hands each accepted SEND for other broker nodes (the cluster), after its own
 * local fan-out. Messages from other nodes come back in through Hub.deliverRemote. The
 * destination is the routing key: for user destinations it is the internal
 * `/user/{userId}/queue/{name}` form, so one user's connections on every node are reached.
 */
import type { OutboundMessage } from '../../shared/message';

export interface Relay {
  /** Called synchronously on the SEND path: queue, never wait. */
  publish(msg: OutboundMessage): void;
}
