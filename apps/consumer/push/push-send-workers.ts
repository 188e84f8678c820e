/**
 * A PushSender that sends from worker threads inside this process, each with its own
 * firebase-admin app (push-send-worker.ts). firebase-admin spends some hundreds of µs of CPU per
 * token (a message copied, validated and serialised, one HTTP request each), so one thread
 * tops out at a few thousand tokens a second; workers spread that over the cores. Each batch
 * goes to the worker with the fewest tokens in flight. A worker that dies fails its batches
 * as retryable and is started again.
 */
import { Worker } from 'node:worker_threads';
import type { BaseMessage } from 'firebase-admin/messaging';
import type { Logger } from 'pino';
import { compiledEntry, RUNNING_FROM_SOURCE } from '../../shared/project-root';
import type { Outcome } from './fcm-outcome';
import type { SendPart } from './fcm-send';
import type { PushMetrics } from './push-metrics';
import type { SendRequest, SendResponse, SendWorkerInit } from './push-send-protocol';
import type { PushSender } from './push-sender';

const WORKER_ENTRY = RUNNING_FROM_SOURCE
  ? new URL('./push-send-worker-boot.mjs', import.meta.url)
  : compiledEntry('apps/consumer/push/push-send-worker.ts');

interface Pending {
  tokens: number;
  resolve: (o: Outcome[]) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  tokens: number;
  /** False once the worker exited: no batch goes to it. */
  alive: boolean;
}

export class WorkerPoolSender implements PushSender {
  readonly kind = 'fcm';
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closing = false;

  private constructor(
    private readonly init: SendWorkerInit,
    private readonly m: PushMetrics,
    private readonly logger: Logger,
  ) {}

  /** `workers` threads, each ready (its app created) before this resolves. */
  static async start(workers: number, init: SendWorkerInit, m: PushMetrics, logger: Logger): Promise<WorkerPoolSender> {
    const pool = new WorkerPoolSender(init, m, logger);
    try {
      for (let i = 0; i < workers; i++) pool.slots.push(await pool.spawn(i));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(index: number): Promise<Slot> {
    const worker = new Worker(WORKER_ENTRY, { workerData: { ...this.init, appName: `${this.init.appName}-w${index}` } satisfies SendWorkerInit });
    const slot: Slot = { worker, pending: new Map(), tokens: 0, alive: true };
    let ready = false;
    return new Promise<Slot>((resolve, reject) => {
      worker.on('message', (msg: SendResponse) => {
        if ('ready' in msg) {
          ready = true;
          resolve(slot);
        } else if ('fatal' in msg) reject(new Error(`push send worker: ${msg.fatal}`));
        else this.settle(slot, msg.id, msg.outcomes);
      });
      worker.on('error', (err) => this.logger.error({ err: err.message, worker: index }, 'push send worker failed'));
      worker.on('exit', (code) => {
        slot.alive = false;
        reject(new Error(`push send worker exited (${code}) before it was ready`));
        for (const [id, p] of [...slot.pending]) this.settle(slot, id, lostBatch(p.tokens, `push send worker exited (${code})`));
        // One that never got ready would fail again the same way: start-up reports it instead.
        if (this.closing || !ready) return;
        this.logger.error({ code, worker: index }, 'push send worker exited; starting another');
        this.spawn(index).then(
          (s) => (this.slots[index] = s),
          (err) => this.logger.error({ err: (err as Error).message, worker: index }, 'push send worker could not be started again'),
        );
      });
    });
  }

  private settle(slot: Slot, id: number, outcomes: Outcome[]): void {
    const p = slot.pending.get(id);
    if (!p) return;
    slot.pending.delete(id);
    slot.tokens -= p.tokens;
    p.resolve(outcomes);
  }

  send(message: BaseMessage, tokens: string[]): Promise<Outcome[]> {
    return this.request(tokens.length, (id) => ({ id, message, tokens }));
  }

  sendParts(parts: SendPart[]): Promise<Outcome[]> {
    return this.request(parts.reduce((n, p) => n + p.tokens.length, 0), (id) => ({ id, parts }));
  }

  private async request(tokens: number, req: (id: number) => SendRequest): Promise<Outcome[]> {
    let slot: Slot | null = null;
    for (const s of this.slots) if (s.alive && (!slot || s.tokens < slot.tokens)) slot = s;
    if (!slot) return lostBatch(tokens, 'no push send worker is running');
    const end = this.m.fcmSeconds.startTimer();
    this.m.batches.inc();
    const id = ++this.nextId;
    try {
      return await new Promise<Outcome[]>((resolve) => {
        slot!.pending.set(id, { tokens, resolve });
        slot!.tokens += tokens;
        slot!.worker.postMessage(req(id));
      });
    } finally {
      end();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map(async (s) => {
      if (!s.alive) return;
      const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
      s.worker.postMessage('close');
      // The app's close is quick; a worker stuck in it is ended.
      const timer = setTimeout(() => void s.worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    }));
  }
}

/** A batch no worker answered: every token tried again later. */
function lostBatch(n: number, detail: string): Outcome[] {
  const o: Outcome = { kind: 'retry', reason: 'unknown', quota: false, detail };
  return Array.from({ length: n }, () => o);
}
