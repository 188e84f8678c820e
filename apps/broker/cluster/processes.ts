/**
 * BROKER_PROCESSES: several nodes on one port, one process each (node:cluster). The primary
 * only supervises: it forks the workers, which each run the entry point's full node and share
 * the listening socket (the primary hands accepted connections round-robin); it restarts a
 * worker that dies, and on SIGTERM/SIGINT asks every worker to drain and exits when all have.
 *
 * Several processes are several nodes: they see each other's rooms only through RabbitMQ, so
 * more than one needs AMQP_URL with the cluster on. Each worker's node id is NODE_ID.<index>
 * when NODE_ID is set (ids must differ: a node's queue is named after it), else random.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../../shared/config';
import type { Logger } from '../../shared/logger';

export function processCount(c: Config): number {
  return c.BROKER_PROCESSES === 'auto' ? availableParallelism() : c.BROKER_PROCESSES;
}

/**
 * Why this configuration cannot run several processes, or null when it can. Every process opens
 * the store (history, REST), and the embedded PGlite database (as the in-process queue and
 * stream of npm start) belongs to one process only; and processes see each other's rooms only
 * through RabbitMQ.
 */
export function processesRefusal(c: Config): string | null {
  if (processCount(c) <= 1) return null;
  const missing = [
    ...(!c.AMQP_URL ? ['AMQP_URL (processes see each other\'s rooms only through RabbitMQ)'] : []),
    ...(c.AMQP_URL && !c.CLUSTER_ENABLED ? ['CLUSTER_ENABLED=true (else rooms would not span the processes)'] : []),
    ...(!c.DATABASE_URL ? ['DATABASE_URL (the embedded database opens in one process only)'] : []),
  ];
  if (missing.length === 0) return null;
  return `BROKER_PROCESSES=${c.BROKER_PROCESSES} runs ${processCount(c)} broker processes, which needs ${missing.join(' and ')}; set them, or use BROKER_PROCESSES=1`;
}

/** The node id of this process: NODE_ID.<worker index> in a worker when NODE_ID is set. */
export function workerNodeId(c: Config): string | undefined {
  if (!c.NODE_ID || cluster.isPrimary) return c.NODE_ID;
  const index = process.env.STOMPBOX_WORKER_INDEX ?? String(cluster.worker?.id ?? 0);
  return `${c.NODE_ID.slice(0, 28)}.${index}`;
}

/**
 * In the primary of a multi-process run: fork and supervise the workers, and return true (the
 * caller starts nothing itself). In a worker, or with one process: return false.
 */
export function superviseProcesses(c: Config, logger: Logger): boolean {
  const count = processCount(c);
  if (count <= 1 || !cluster.isPrimary) return false;
  let stopping = false;
  let failed = false;
  const indexOf = new Map<number, number>();
  const fork = (index: number) => {
    const w = cluster.fork({ STOMPBOX_WORKER_INDEX: String(index) });
    indexOf.set(w.id, index);
  };
  cluster.on('exit', (w, code, signal) => {
    const index = indexOf.get(w.id)!;
    indexOf.delete(w.id);
    if (stopping) {
      if (code !== 0) failed = true;
      if (indexOf.size === 0) process.exit(failed ? 1 : 0);
      return;
    }
    // A crashed node's clients reconnect to the others (history-after recovers the gap); restart it.
    logger.error({ worker: index, pid: w.process.pid, code, signal }, 'broker process exited; starting it again in 1 s');
    setTimeout(() => !stopping && fork(index), 1_000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: indexOf.size }, 'shutdown requested: draining every broker process');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    if (indexOf.size === 0) process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (!c.REDIS_URL) {
    logger.warn('REDIS_URL is not set: presence and membership changes stay inside each broker process (membership answers cached elsewhere expire after ACCESS_CACHE_TTL_MS)');
  }
  for (let i = 0; i < count; i++) fork(i);
  logger.info({ processes: count, port: c.PORT }, `${count} broker processes sharing port ${c.PORT}`);
  return true;
}
