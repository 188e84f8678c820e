/**
 * Worker-thread side: runs Slices one after another (a pool keeps its threads, and their
 * JIT-warmed code, across runs) and relays phases, progress and each result.
 */
import { parentPort } from 'node:worker_threads';
import { Slice } from './slice';
import type { FromWorker, ToWorker } from './messages';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
let slice: Slice | null = null;
let ticker: NodeJS.Timeout | null = null;

port.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    const s = new Slice(m.init.options, m.init.plan, m.init.sliceCount, {
      ready: () => post({ type: 'ready' }),
      delivered: () => post({ type: 'delivered' }),
    });
    slice = s;
    ticker = setInterval(() => post({ type: 'progress', progress: s.progress() }), 250);
    s.run().then(
      (result) => {
        if (ticker) clearInterval(ticker);
        post({ type: 'progress', progress: s.progress() });
        post({ type: 'result', result });
        slice = null;
      },
      (e: Error) => {
        if (ticker) clearInterval(ticker);
        post({ type: 'crash', message: e.stack ?? e.message });
        slice = null;
      },
    );
    return;
  }
  if (!slice) return;
  if (m.type === 'go') slice.go();
  else if (m.type === 'stop') slice.stop();
  else if (m.type === 'finish') slice.finish();
  else if (m.type === 'abort') slice.abort();
});
