/**
 * The FCM mock of `npm run bench:push` in its own process (FCM is remote: its cost must not be
 * counted against the consumer). Prints `port=<n>` once listening; answers after BENCH_FCM_LATENCY_MS.
 */
import { FcmMock } from '../apps/shared/testing/fcm-mock';

const mock = new FcmMock();
mock.record = false;
mock.latencyMs = Number(process.env.BENCH_FCM_LATENCY_MS ?? 50);
await mock.start();
process.stdout.write(`port=${mock.port}\n`);
setInterval(() => process.stdout.write(`received=${mock.received} cpu=${JSON.stringify(process.cpuUsage())}\n`), 1_000).unref();
process.on('SIGTERM', () => void mock.close().then(() => process.exit(0)));
