// Preloaded into the broker that conn-cost.ts measures (node --expose-gc --import this): on
// SIGUSR2, two full GCs, then process.memoryUsage() (and with CONN_COST_SNAPSHOT=1 a heap
// snapshot) written to CONN_COST_DIR/probe-<pid>-<n>.json.
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';

let n = 0;
process.on('SIGUSR2', () => {
  const k = ++n;
  globalThis.gc?.();
  globalThis.gc?.();
  const dir = process.env.CONN_COST_DIR;
  const snapshot = process.env.CONN_COST_SNAPSHOT === '1' ? v8.writeHeapSnapshot(`${dir}/probe-${process.pid}-${k}.heapsnapshot`) : null;
  writeFileSync(`${dir}/probe-${process.pid}-${k}.json`, JSON.stringify({ ...process.memoryUsage(), snapshot }));
});
