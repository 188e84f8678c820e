/**
 * Between two loads, wait until the broker has finished the previous one (RabbitMQ needs tens
 * of seconds to close 10,000 connections and delete their queues; starting the next load
 * meanwhile measures that clean-up, not the load). Judged by the broker's own CPU, so other
 * work on the machine does not matter.
 */
import { sleep } from '../../shared/sleep';
import { sampleProcTree } from '../run/proc-stats';

export async function waitForQuiet(pid: number | undefined, opts: { maxMs?: number; cores?: number } = {}): Promise<number> {
  if (!pid) return 0;
  const started = performance.now();
  const maxMs = opts.maxMs ?? 60_000;
  const limit = opts.cores ?? 0.15;
  let prev = sampleProcTree(pid);
  while (prev && performance.now() - started < maxMs) {
    await sleep(500);
    const next = sampleProcTree(pid);
    if (!next) break;
    if ((next.cpuMs - prev.cpuMs) / 500 < limit) break;
    prev = next;
  }
  return performance.now() - started;
}
