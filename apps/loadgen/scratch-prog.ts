import { parseLoadArgs } from './cli/options';
import { runLoad } from './run/run-load';
const r = parseLoadArgs([...(process.argv[3] ? ["--broker-pid", process.argv[3]] : []), 'throughput','--url','ws://127.0.0.1:18091/ws','--users','1800','--duration','6s','--workers', process.argv[2]]);
if (r.help) throw 0;
const t0 = performance.now();
const rep = await runLoad(r.options, { progress: { update(v) { if (Math.round(v.elapsedMs) % 1000 < 260) console.log((performance.now()-t0).toFixed(0), v.phase, v.progress.sent, v.progress.received); }, end() {} } });
console.log(JSON.stringify([rep.deliveries.perSec, rep.cpu, rep.latencyMs.p50]));
