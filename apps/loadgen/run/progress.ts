/**
 * Progress on stderr: a redrawn bar on a TTY, otherwise (CI) one line every few seconds
 * and at each phase change, so logs stay short.
 */
import type { LoadOptions } from '../cli/options';
import type { Progress } from '../stats/counters';

export type Phase = 'setup' | 'run' | 'drain' | 'teardown' | 'done';

export interface ProgressView {
  phase: Phase;
  elapsedMs: number;
  progress: Progress;
}

export interface ProgressSink {
  update(v: ProgressView): void;
  end(): void;
}

const LINE_EVERY_MS = 5_000;

export function progressSink(o: LoadOptions, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const mode = o.progress === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : o.progress;
  if (mode === 'none') return { update() {}, end() {} };
  const planned = o.users * Math.min(o.sendersPerRoom, o.roomSize) * o.messages; // rooms: ~deliveries planned
  let lastLine = -Infinity;
  let lastPhase: Phase | null = null;
  let drawn = false;
  let runStartedMs = -1;
  const fraction = (v: ProgressView): number => {
    const p = v.progress;
    if (v.phase === 'setup') return p.connected / o.users;
    if (o.scenario === 'rooms') return planned > 0 ? p.received / planned : 1;
    if (o.scenario === 'churn') return p.cycles / (o.users * o.cycles);
    if (v.phase !== 'run') return 1;
    if (runStartedMs < 0) runStartedMs = v.elapsedMs;
    return (v.elapsedMs - runStartedMs) / Math.max(1, o.durationMs); // throughput, idle: time
  };
  const text = (v: ProgressView) => {
    const p = v.progress;
    return `${o.scenario} ${v.phase.padEnd(8)} conn ${p.connected}/${o.users} sub ${p.subscribed} sent ${p.sent} recv ${p.received}` +
      (o.scenario === 'churn' ? ` cycles ${p.cycles}` : '') + ` err ${p.errors} ${(v.elapsedMs / 1000).toFixed(1)}s`;
  };
  return {
    update(v) {
      if (mode === 'bar') {
        const f = Math.max(0, Math.min(1, fraction(v)));
        const width = 24;
        const fill = Math.round(f * width);
        stream.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text(v)}\x1b[K`);
        drawn = true;
        return;
      }
      if (v.phase !== lastPhase || v.elapsedMs - lastLine >= LINE_EVERY_MS) {
        lastPhase = v.phase;
        lastLine = v.elapsedMs;
        stream.write(`[load] ${text(v)}\n`);
      }
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
