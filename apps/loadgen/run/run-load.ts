/**
 * The coordinator: plans rooms and slices, starts the slices (worker threads, or the main
 * thread with `workers: 0`), moves them through the phases together (a global barrier: every
 * user is subscribed before anyone sends), measures CPU of both sides and the broker's RSS
 * around the run phase, enforces the hard timeout, and merges the results into a report.
 */
import type { LoadOptions } from '../cli/options';
import { mergeSliceResults, type Progress, type SliceResult } from '../stats/counters';
import { buildReport, type LoadReport } from '../stats/report';
import { planRooms, planSlices } from './plan';
import { joinRooms } from './join-rooms';
import { busiestThreadsWaitMs, sampleProc, sampleProcTree, selfCpuMs } from './proc-stats';
import { inThreadSlice, workerSlice, type SliceHandle } from './slice-handle';
import { WorkerPool } from './worker-pool';
import type { Phase, ProgressSink } from './progress';
import { sleep } from '../../shared/sleep';

export interface RunHooks {
  progress?: ProgressSink;
  /** Reuse these worker threads (benchmarks: warm JIT across runs); else a pool per run. */
  pool?: WorkerPool;
}

/** After an abort, how long slices get to hand in what they measured. */
const ABORT_GRACE_MS = 5_000;
/** idle: let the broker's heap settle before reading its RSS. */
const IDLE_SETTLE_MS = 1_000;

export async function runLoad(o: LoadOptions, hooks: RunHooks = {}): Promise<LoadReport> {
  const rooms = planRooms(o.users, o.roomSize, o.sendersPerRoom);
  if (o.join) await joinRooms(o, rooms);
  const slices = planSlices(rooms, Math.max(1, o.workers));
  const ownPool = o.workers > 0 && !(hooks.pool && hooks.pool.size >= slices.length);
  const pool = o.workers === 0 ? null : ownPool ? new WorkerPool(slices.length) : hooks.pool!;
  const handles: SliceHandle[] = slices.map((p, i) =>
    pool ? workerSlice(pool, i, o, p, slices.length) : inThreadSlice(o, p, slices.length),
  );
  let collected = false;
  const started = performance.now();
  let phase: Phase = 'setup';
  let aborted = false;

  const brokerBefore = o.brokerPid ? sampleProcTree(o.brokerPid) : null;
  const sum = (): Progress => {
    const t: Progress = { connected: 0, subscribed: 0, sent: 0, received: 0, errors: 0, cycles: 0 };
    for (const h of handles) {
      const p = h.progress();
      for (const k of Object.keys(t) as Array<keyof Progress>) t[k] += p[k];
    }
    return t;
  };
  const ticker = setInterval(() => hooks.progress?.update({ phase, elapsedMs: performance.now() - started, progress: sum() }), 250);

  let abortedSignal!: () => void;
  const aborted$ = new Promise<void>((r) => (abortedSignal = r));
  const hardTimer = setTimeout(() => {
    aborted = true;
    for (const h of handles) h.send('abort');
    abortedSignal();
  }, o.timeoutMs);
  /** Waits `ms`, or less if the hard timeout fires first. */
  const wait = (ms: number) => Promise.race([sleep(ms), aborted$]);
  const all = (ps: Promise<unknown>[]) => Promise.race([Promise.all(ps).then(() => {}), aborted$]);

  try {
    await all(handles.map((h) => h.ready));
    const setupMs = performance.now() - started;
    if (o.scenario === 'idle') await wait(IDLE_SETTLE_MS);

    phase = 'run';
    const cpu0 = selfCpuMs();
    const self0 = sampleProc(process.pid);
    const broker0 = o.brokerPid ? sampleProcTree(o.brokerPid) : null;
    const go = performance.now();
    for (const h of handles) h.send('go');
    let rateWindowMs = 0;
    let brokerMid = null;
    if (o.scenario === 'throughput' || o.scenario === 'idle') {
      await wait(o.durationMs);
      rateWindowMs = performance.now() - go;
      if (o.scenario === 'idle' && o.brokerPid) brokerMid = sampleProcTree(o.brokerPid);
      phase = o.scenario === 'throughput' ? 'drain' : 'run';
      for (const h of handles) h.send('stop');
    } else if (o.scenario === 'churn') {
      // churn ends by itself (cycles done or duration spent)
      void wait(o.durationMs).then(() => handles.forEach((h) => h.send('stop')));
    }
    await all(handles.map((h) => h.delivered));
    const runMs = performance.now() - go;
    const cpu1 = selfCpuMs();
    const self1 = sampleProc(process.pid);
    const broker1 = o.brokerPid ? sampleProcTree(o.brokerPid) : null;

    phase = 'teardown';
    for (const h of handles) h.send('finish');
    const results = await collect(handles, aborted$);
    collected = results.failed.length === 0;
    clearTimeout(hardTimer);

    const merged = mergeSliceResults(results.ok);
    if (aborted) merged.errors['hard-timeout'] = 1;
    for (const e of results.failed) merged.errors[`worker-failed: ${e.message.split('\n')[0]}`] = 1;
    if (o.scenario === 'rooms') {
      // deliveries/s over the send phase: first SEND → last delivery
      rateWindowMs = merged.lastReceiveAt > merged.firstSendAt ? merged.lastReceiveAt - merged.firstSendAt : runMs;
    }
    const brokerRssAfter = (brokerMid ?? broker1)?.rssKiB;
    return buildReport(o, handles.length, merged, {
      setupMs,
      runMs,
      rateWindowMs,
      loadgenCpuMs: cpu1 - cpu0,
      brokerCpuMs: broker0 && broker1 ? broker1.cpuMs - broker0.cpuMs : undefined,
      brokerWaitMs: broker0 && broker1 ? busiestThreadsWaitMs(broker0, broker1, 1) : undefined,
      loadgenWaitMs: self0 && self1 ? busiestThreadsWaitMs(self0, self1, Math.max(1, handles.length)) : undefined,
      brokerRssBeforeKiB: brokerBefore?.rssKiB,
      brokerRssAfterKiB: brokerRssAfter,
      brokerFdsAfter: (brokerMid ?? broker1)?.fds,
      loadgenRssKiB: process.memoryUsage().rss / 1024,
      aborted,
    });
  } finally {
    clearTimeout(hardTimer);
    clearInterval(ticker);
    phase = 'done';
    hooks.progress?.end();
    // threads that did not hand in a result may still hold sockets
    if (!collected) for (const h of handles) h.kill();
    if (ownPool) await pool?.close();
  }
}

/** Results of every slice; after an abort, slices that do not answer in time are killed. */
async function collect(handles: SliceHandle[], aborted$: Promise<void>): Promise<{ ok: SliceResult[]; failed: Error[] }> {
  const settled = Promise.allSettled(handles.map((h) => h.result));
  const graceAfterAbort = aborted$.then(() => new Promise<'late'>((r) => setTimeout(() => r('late'), ABORT_GRACE_MS)));
  const r = await Promise.race([settled, graceAfterAbort]);
  if (r === 'late') {
    const ok: SliceResult[] = [];
    const failed: Error[] = [new Error('a slice did not report after the hard timeout')];
    for (const h of handles) h.kill();
    return { ok, failed };
  }
  const ok: SliceResult[] = [];
  const failed: Error[] = [];
  for (const s of r) {
    if (s.status === 'fulfilled') ok.push(s.value);
    else failed.push(s.reason as Error);
  }
  return { ok, failed };
}

