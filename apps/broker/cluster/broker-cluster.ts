/**
 * What the broker wiring (broker.ts) needs from this node's link to the other nodes: the hooks
 * and relay the hub calls, the hub handed over once it exists (messages from other nodes go
 * into it), a readiness reason, and a close after the drain.
 */
import type { DestinationHooks } from '../hub/destination-hooks';
import type { Relay } from '../hub/relay';
import type { OutboundMessage } from '../../shared/message';

/** Where messages from other nodes go: the hub's deliverRemote. */
export interface RemoteSink {
  deliverRemote(msg: OutboundMessage): void;
}

export interface BrokerCluster {
  readonly hooks: DestinationHooks;
  readonly relay: Relay;
  /** The node id its queue is named after; the broker must use the same one. */
  readonly nodeId: string;
  attach(sink: RemoteSink): void;
  /** Null when ready, else why not (for /readyz). */
  notReady(): string | null;
  close(): Promise<void>;
}
