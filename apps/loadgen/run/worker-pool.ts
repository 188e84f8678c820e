/**
 * Worker threads kept across load runs: a benchmark making many runs reuses warm threads
 * instead of measuring cold JIT in each. Threads start lazily; a killed one is replaced.
 */
import { Worker } from 'node:worker_threads';

export class WorkerPool {
  private readonly workers: Array<Worker | null>;

  constructor(readonly size: number) {
    this.workers = new Array(size).fill(null);
  }

  get(i: number): Worker {
    let w = this.workers[i];
    if (!w) {
      w = new Worker(new URL('./worker-entry.mjs', import.meta.url));
      const self = w;
      w.once('exit', () => {
        if (this.workers[i] === self) this.workers[i] = null;
      });
      this.workers[i] = w;
    }
    return w;
  }

  /** Terminate thread i (a slice that did not answer after an abort). */
  kill(i: number): void {
    const w = this.workers[i];
    this.workers[i] = null;
    void w?.terminate();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w?.terminate()));
    this.workers.fill(null);
  }
}
