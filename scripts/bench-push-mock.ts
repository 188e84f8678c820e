/**
 * The FCM mocks of `npm run bench:push` in their own process (FCM is remote: its cost must not be
 * counted against the consumer): one HTTP/1.1 and one HTTP/2 (TLS, the certificate's PEMs in
 * BENCH_TLS_KEY / BENCH_TLS_CERT). Prints `port.h1=<n>` and `port.h2=<n>` once listening, then
 * every second what they received and this process's CPU time; answers after BENCH_FCM_LATENCY_MS.
 */
import { FcmMock } from '../apps/shared/testing/fcm-mock';

const latency = Number(process.env.BENCH_FCM_LATENCY_MS ?? 50);
const tls = { key: process.env.BENCH_TLS_KEY ?? '', cert: process.env.BENCH_TLS_CERT ?? '' };
const mocks = [new FcmMock('h1'), new FcmMock('h2', tls)];
for (const m of mocks) {
  m.record = false;
  m.latencyMs = latency;
  await m.start();
  process.stdout.write(`port.${m.transport}=${m.port}\n`);
}
setInterval(() => {
  const cpu = process.cpuUsage();
  process.stdout.write(`received=${mocks[0].received + mocks[1].received} cpuUs=${cpu.user + cpu.system}\n`);
}, 250).unref();
process.on('SIGTERM', () => void Promise.all(mocks.map((m) => m.close())).then(() => process.exit(0)));
