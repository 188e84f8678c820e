/** Worker-thread side: runs one Slice and relays phases, progress and the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { Slice } from './slice';
import type { FromWorker, ToWorker, WorkerInit } from './messages';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);

const slice = new Slice(init.options, init.plan, init.sliceCount, {
  ready: () => post({ type: 'ready' }),
  delivered: () => post({ type: 'delivered' }),
});
const ticker = setInterval(() => post({ type: 'progress', progress: slice.progress() }), 250);

port.on('message', (m: ToWorker) => {
  if (m.type === 'go') slice.go();
  else if (m.type === 'stop') slice.stop();
  else if (m.type === 'finish') slice.finish();
  else if (m.type === 'abort') slice.abort();
});

slice.run().then(
  (result) => {
    clearInterval(ticker);
    post({ type: 'progress', progress: slice.progress() });
    post({ type: 'result', result });
    port.close();
  },
  (e: Error) => {
    clearInterval(ticker);
    post({ type: 'crash', message: e.stack ?? e.message });
    port.close();
  },
);
