/** Messages between the coordinator and a slice running in a worker thread. */
import type { LoadOptions } from '../cli/options';
import type { Progress, SliceResult } from '../stats/counters';
import type { SlicePlan } from './plan';

export interface LoadWorkerInit {
  options: LoadOptions;
  plan: SlicePlan;
  sliceCount: number;
}

export type ToWorker = { type: 'start'; init: LoadWorkerInit } | { type: 'go' } | { type: 'stop' } | { type: 'finish' } | { type: 'abort' };

export type SliceCommand = 'go' | 'stop' | 'finish' | 'abort';

export type FromWorker =
  | { type: 'ready' }
  | { type: 'delivered' }
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; result: SliceResult }
  | { type: 'crash'; message: string };
