/** Config → this node's cluster link, or null when there is no cluster (no AMQP_URL, or switched off). */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../../shared/config';
import { ClusterNode } from './cluster-node';

export function clusterFromConfig(c: Config, nodeId: string, logger: Logger, registry: Registry): ClusterNode | null {
  if (!c.AMQP_URL || !c.CLUSTER_ENABLED) return null;
  return new ClusterNode(
    {
      url: c.AMQP_URL,
      nodeId,
      topology: { exchange: c.CLUSTER_EXCHANGE, queuePrefix: c.CLUSTER_QUEUE_PREFIX, queueMaxBytes: c.CLUSTER_QUEUE_MAX_BYTES },
      limits: {
        maxPending: c.CLUSTER_MAX_PENDING,
        maxPendingBytes: c.CLUSTER_MAX_PENDING_BYTES,
        packMaxMessages: c.CLUSTER_PACK_MAX_MESSAGES,
        packMaxBytes: c.CLUSTER_PACK_MAX_BYTES,
      },
      prefetch: c.CLUSTER_PREFETCH,
      bindWaitMs: c.CLUSTER_BIND_WAIT_MS,
    },
    logger.child({ component: 'cluster' }),
    registry,
  );
}
