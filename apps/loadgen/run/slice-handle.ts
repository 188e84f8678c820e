/**
 * One interface for a slice whether it runs in this thread or in a worker thread, so the
 * coordinator drives both the same way (tests use the in-thread one).
 */
import type { LoadOptions } from '../cli/options';
import type { Progress, SliceResult } from '../stats/counters';
import { Slice } from './slice';
import type { SlicePlan } from './plan';
import type { FromWorker, SliceCommand, ToWorker, LoadWorkerInit } from './messages';
import type { WorkerPool } from './worker-pool';

export interface SliceHandle {
  readonly ready: Promise<void>;
  readonly delivered: Promise<void>;
  /** Rejects if the slice crashed. */
  readonly result: Promise<SliceResult>;
  send(cmd: SliceCommand): void;
  progress(): Progress;
  /** Last resort after abort: kill the thread. */
  kill(): void;
}

const EMPTY: Progress = { connected: 0, subscribed: 0, sent: 0, received: 0, errors: 0, cycles: 0 };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

export function inThreadSlice(options: LoadOptions, plan: SlicePlan, sliceCount: number): SliceHandle {
  const ready = deferred<void>();
  const delivered = deferred<void>();
  const slice = new Slice(options, plan, sliceCount, { ready: () => ready.resolve(), delivered: () => delivered.resolve() });
  const result = slice.run();
  result.catch(() => {});
  return {
    ready: ready.promise,
    delivered: delivered.promise,
    result,
    send(cmd) {
      if (cmd === 'go') slice.go();
      else if (cmd === 'stop') slice.stop();
      else if (cmd === 'finish') slice.finish();
      else slice.abort();
    },
    progress: () => slice.progress(),
    kill: () => slice.abort(),
  };
}

export function workerSlice(pool: WorkerPool, index: number, options: LoadOptions, plan: SlicePlan, sliceCount: number): SliceHandle {
  const ready = deferred<void>();
  const delivered = deferred<void>();
  const result = deferred<SliceResult>();
  result.promise.catch(() => {});
  let last = EMPTY;
  const worker = pool.get(index);
  const detach = () => {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
  };
  const died = (why: string) => {
    detach();
    result.reject(new Error(why));
    // unblock the coordinator's phase waits; the result promise carries the failure
    ready.resolve();
    delivered.resolve();
  };
  const onMessage = (m: FromWorker) => {
    if (m.type === 'ready') ready.resolve();
    else if (m.type === 'delivered') delivered.resolve();
    else if (m.type === 'progress') last = m.progress;
    else if (m.type === 'result') {
      detach();
      result.resolve(m.result);
    } else if (m.type === 'crash') died(`load worker crashed: ${m.message}`);
  };
  const onError = (e: Error) => died(`load worker failed: ${e.stack ?? e.message}`);
  const onExit = (code: number) => died(`load worker exited (${code}) before its result`);
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  const init: LoadWorkerInit = { options, plan, sliceCount };
  worker.postMessage({ type: 'start', init } satisfies ToWorker);
  return {
    ready: ready.promise,
    delivered: delivered.promise,
    result: result.promise,
    send: (cmd) => worker.postMessage({ type: cmd } satisfies ToWorker),
    progress: () => last,
    kill: () => pool.kill(index),
  };
}
