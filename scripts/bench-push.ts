/**
 * `npm run bench:push`: push throughput and the cost of push to the broker.
 *
 * (1) Push throughput: the push consumer (in-process queue twin → members → collapse → the real
 *     firebase-admin SDK) against the FCM mock in a child process answering after 50 ms
 *     (scripts/bench-push-mock.ts), over HTTP/2 (the SDK's default, production's) and/or the
 *     legacy HTTP/1.1 transport, BENCH_RUNS rounds alternating between them. ROOMS rooms of
 *     MEMBERS members, one token each, one message per room: ROOMS × (MEMBERS − 1) tokens. Prints
 *     per run tokens/s (first pack published → last answer handled), this process's CPU per token
 *     and the mock's CPU; then the medians and the HTTP/2 : HTTP/1.1 ratio.
 * (2) Pushes on vs off in the same run: the broker and the embedded pipeline in this process
 *     (in-process queue and stream, a store double with the rooms' members and tokens), the
 *     load generator's throughput scenario (300 rooms × 6, one sender each, 20 in flight) with
 *     AMQP_PUSH_ENABLED=false, then =true (FCM = the same mock), alternating BENCH_BROKER_ROUNDS
 *     times → SEND→MESSAGE latency p50/p99 and deliveries/s per run, then the medians of off and
 *     on. Pushes go to the 5 non-sending members of each room (nobody is online for push:
 *     presence is not wired in this harness).
 * Env: BENCH_TRANSPORT (both | h2 | h1; (2) uses h2 unless h1), BENCH_WORKERS (send worker
 * threads, 0 = sendEachForMulticast on this thread; a list such as 0,2 compares them; (2) uses
 * the last), BENCH_RUNS (3), BENCH_ROOMS (60), BENCH_MEMBERS (500), BENCH_CONCURRENCY
 * (PUSH_CONCURRENCY, 16), BENCH_FCM_LATENCY_MS (50), BENCH_SOCKETS (HTTP/1.1 connections, 1000),
 * BENCH_DURATION (10s), BENCH_BROKER_ROUNDS (2), BENCH_SKIP_BROKER=1 (only (1)),
 * BENCH_SKIP_THROUGHPUT=1 (only (2)).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startPipeline } from '../apps/all-in-one/pipeline';
import { startBroker } from '../apps/broker/broker';
import { WorkerPoolSender } from '../apps/consumer/push/push-send-workers';
import { createFcm, MOCK_FCM_APP_MODULE, type MockTarget } from '../apps/consumer/push/testing/mock-fcm-app';
import { startPush } from '../apps/consumer/push/push';
import { pushMetrics } from '../apps/consumer/push/push-metrics';
import { FcmSender, type PushSender } from '../apps/consumer/push/push-sender';
import { loadOptions } from '../apps/loadgen/bench/scenarios';
import { runLoad } from '../apps/loadgen/run/run-load';
import { loadConfig } from '../apps/shared/config';
import { MessageIdGenerator } from '../apps/shared/message-id';
import type { OutboundMessage } from '../apps/shared/message';
import { MemoryDeadLetters, MemoryPackQueue } from '../apps/shared/queue/memory-queue';
import { encodePack } from '../apps/shared/queue/pack-codec';
import { sleep } from '../apps/shared/sleep';
import { FakeStore } from '../apps/shared/testing/fake-store';
import type { FcmTransport } from '../apps/shared/testing/fcm-mock';
import { testCert } from '../apps/shared/testing/test-cert';
import type { DeviceToken } from '../apps/shared/store/device-token-store';
import type { Member, Room } from '../apps/shared/store/room-directory';

const ROOMS = Number(process.env.BENCH_ROOMS ?? 60);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TRANSPORT = process.env.BENCH_TRANSPORT ?? 'both';
const TRANSPORTS: FcmTransport[] = TRANSPORT === 'both' ? ['h1', 'h2'] : TRANSPORT === 'h1' || TRANSPORT === 'h2' ? [TRANSPORT] : [];
if (TRANSPORTS.length === 0) throw new Error(`BENCH_TRANSPORT=${TRANSPORT}: h1, h2 or both`);
/** Send workers (0: sendEachForMulticast on the consumer's own thread); a list compares them. */
const WORKERS = (process.env.BENCH_WORKERS ?? '0').split(',').map(Number);
const LATENCY = Number(process.env.BENCH_FCM_LATENCY_MS ?? 50);
/** HTTP/1.1 connections to FCM at most (requests beyond wait in the agent for a free one). */
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1_000);
const DURATION = process.env.BENCH_DURATION ?? '10s';
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

interface MockChild {
  port: Record<FcmTransport, number>;
  child: ChildProcess;
  /** The mock process's CPU time so far, µs (reported every 250 ms). */
  cpuUs(): number;
}

/** The mocks in their own process: FCM's cost is not this process's. */
async function startMockChild(): Promise<MockChild> {
  const tls = testCert();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-push-mock.ts'], {
    env: { ...process.env, BENCH_FCM_LATENCY_MS: String(LATENCY), BENCH_TLS_KEY: tls.key, BENCH_TLS_CERT: tls.cert },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port: Partial<Record<FcmTransport, number>> = {};
  let cpuUs = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`mock exited ${code}`)));
    child.stdout!.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        const p = /^port\.(h1|h2)=(\d+)/.exec(line);
        if (p) port[p[1] as FcmTransport] = Number(p[2]);
        if (port.h1 && port.h2) resolve();
        const c = /cpuUs=(\d+)/.exec(line);
        if (c) cpuUs = Number(c[1]);
      }
    });
  });
  return { port: port as Record<FcmTransport, number>, child, cpuUs: () => cpuUs };
}

let appSeq = 0;
/** firebase-admin aimed at the mock child, in this thread or from `workers` send workers. */
async function sender(mock: MockChild, transport: FcmTransport, registry: Registry, workers = 0): Promise<PushSender> {
  const target: MockTarget = { transport, port: mock.port[transport], ca: testCert().cert, projectId: 'bench', sockets: SOCKETS };
  const appName = `bench-${++appSeq}`;
  if (workers > 0) return WorkerPoolSender.start(workers, { projectId: 'bench', appName, setup: { module: MOCK_FCM_APP_MODULE, arg: target } }, pushMetrics(registry), logger);
  const fcm = createFcm(target, appName);
  return new FcmSender(fcm.messaging, pushMetrics(registry), fcm.close);
}

/** Members and tokens in Maps: the store must not be what is measured. */
function benchDirectory(rooms: Map<string, string[]>) {
  return {
    listMembers: async (roomId: string): Promise<Member[]> => (rooms.get(roomId) ?? []).map((userId) => ({ userId, joinedAt: new Date(0) })),
    getRoom: async (): Promise<Room | null> => null,
    listDeviceTokens: async (userIds: string[]): Promise<DeviceToken[]> =>
      userIds.map((userId) => ({ userId, token: `${userId}-tok`, platform: 'android' as const, lastSeenAt: new Date() })),
    deleteDeviceTokens: async () => 0,
    pruneDeviceTokens: async () => 0,
  };
}

async function value(registry: Registry, name: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m ? m.values.reduce((s, v) => s + v.value, 0) : 0;
}

interface Throughput {
  tokensPerS: number;
  cpuUsPerToken: number;
  cpuPct: number;
  mockCpuPct: number;
  fcmMs: number;
}

async function pushThroughput(mock: MockChild, transport: FcmTransport, workers: number): Promise<Throughput> {
  const registry = new Registry();
  const rooms = new Map<string, string[]>();
  for (let r = 0; r < ROOMS; r++) rooms.set(`b${r}`, Array.from({ length: MEMBERS }, (_, i) => `b${r}u${i}`));
  const queue = new MemoryPackQueue(1_000_000, 64, registry);
  const push = await startPush(
    { source: queue.source, deadLetters: new MemoryDeadLetters(1_000, registry), store: benchDirectory(rooms) as never, presence: null, sender: await sender(mock, transport, registry, workers) },
    {
      collapseMs: 0, collapseMaxWindows: 1_000_000, collapseMaxBytes: 512 * 1024 * 1024, batchTokens: 500, concurrency: CONCURRENCY, payloadMaxBytes: 4_096,
      maxAttempts: 3, retry: { baseMs: 1_000, maxMs: 60_000, quotaMinMs: 60_000 }, maxRetryTokens: 1_000_000, membersCacheMs: 60_000, membersCacheRooms: 10_000,
      tokenMaxAgeDays: 270, pruneEveryMs: 0, drainTimeoutMs: 5_000,
    },
    logger,
    registry,
  );
  const ids = new MessageIdGenerator('bench');
  const msg = (roomId: string): OutboundMessage => ({
    id: ids.next(), destination: `/topic/room.${roomId}`, roomId, senderId: rooms.get(roomId)![0], nodeId: 'bench', sentAt: Date.now(), contentType: 'text/plain', headers: {}, body: Buffer.from('a benchmark message of a typical length, about sixty bytes'),
  });
  const publish = (roomIds: string[]) => {
    const msgs = roomIds.map(msg);
    queue.transport.send({ seq: 0, count: msgs.length, firstId: msgs[0].id, lastId: msgs[msgs.length - 1].id, body: encodePack(msgs), sealedAt: Date.now(), attempts: 0 }, () => {});
  };
  // Warm-up (JIT, sockets): 4 rooms, not measured.
  const warm = [...rooms.keys()].slice(0, 4);
  publish(warm);
  while ((await value(registry, 'stompbox_push_sent_total')) < warm.length * (MEMBERS - 1)) await sleep(50);
  await sleep(300); // the mock's CPU report catches up

  const expected = ROOMS * (MEMBERS - 1) + warm.length * (MEMBERS - 1);
  const fcm0 = await fcmSeconds(registry);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const m0 = mock.cpuUs();
  for (const id of rooms.keys()) publish([id]);
  while ((await value(registry, 'stompbox_push_sent_total')) < expected) await sleep(10);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await sleep(300);
  const mockUs = mock.cpuUs() - m0;
  const tokens = ROOMS * (MEMBERS - 1);
  const fcm1 = await fcmSeconds(registry);
  await push.close();
  return {
    tokensPerS: (tokens * 1000) / ms,
    cpuUsPerToken: (cpu.user + cpu.system) / tokens,
    cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
    // Over the run plus the 300 ms after it: a slight underestimate of its load while sending.
    mockCpuPct: (mockUs / 1000 / (ms + 300)) * 100,
    fcmMs: ((fcm1.sum - fcm0.sum) / Math.max(1, fcm1.count - fcm0.count)) * 1000,
  };
}

async function fcmSeconds(registry: Registry): Promise<{ sum: number; count: number }> {
  const fcm = await registry.getSingleMetric('stompbox_push_fcm_seconds')!.get();
  const pick = (name: string) => fcm.values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
  return { sum: pick('stompbox_push_fcm_seconds_sum'), count: pick('stompbox_push_fcm_seconds_count') };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const NAMES: Record<FcmTransport, string> = { h1: 'HTTP/1.1', h2: 'HTTP/2' };

async function throughputRounds(mock: MockChild): Promise<void> {
  const configs = WORKERS.flatMap((w) => TRANSPORTS.map((t) => ({ t, w, name: `${NAMES[t]}${w > 0 ? ` ×${w} workers` : ''}` })));
  const runs = new Map<string, Throughput[]>(configs.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const c of configs) {
      const r = await pushThroughput(mock, c.t, c.w);
      runs.get(c.name)!.push(r);
      console.log(`(1) run ${i + 1} ${c.name.padEnd(20)}: ${Math.round(r.tokensPerS)} tokens/s; this process ${r.cpuPct.toFixed(0)} % of a core, ${r.cpuUsPerToken.toFixed(0)} µs/token; ` +
        `mock ${r.mockCpuPct.toFixed(0)} % of a core; mean sendEachForMulticast ${r.fcmMs.toFixed(0)} ms; load ${loadavg()[0].toFixed(1)}`);
    }
  }
  const med = new Map([...runs].map(([name, rs]) => [name, { tokensPerS: median(rs.map((r) => r.tokensPerS)), cpuUsPerToken: median(rs.map((r) => r.cpuUsPerToken)), cpuPct: median(rs.map((r) => r.cpuPct)) }]));
  console.log(`(1) ${ROOMS} rooms × ${MEMBERS - 1} tokens, concurrency ${CONCURRENCY} × 500, mock answers after ${LATENCY} ms, HTTP/1.1 sockets ${SOCKETS}; median of ${RUNS}:`);
  for (const [name, m] of med) console.log(`    ${name.padEnd(20)} ${Math.round(m.tokensPerS)} tokens/s, ${m.cpuUsPerToken.toFixed(0)} µs CPU/token, ${m.cpuPct.toFixed(0)} % of a core`);
  for (const w of WORKERS) {
    const h1 = med.get(configs.find((c) => c.w === w && c.t === 'h1')?.name ?? '');
    const h2 = med.get(configs.find((c) => c.w === w && c.t === 'h2')?.name ?? '');
    if (h1 && h2) console.log(`    HTTP/2 : HTTP/1.1${w > 0 ? ` (×${w} workers)` : ''} = ${(h2.tokensPerS / h1.tokensPerS).toFixed(2)}× tokens/s, ${(h2.cpuUsPerToken / h1.cpuUsPerToken).toFixed(2)}× CPU/token`);
  }
}

interface BrokerRun {
  p99: number;
  perSec: number;
}

async function brokerRun(mock: MockChild, pushOn: boolean): Promise<BrokerRun> {
  const registry = new Registry();
  const runId = `pb${pushOn ? 'on' : 'off'}`;
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', AMQP_PUSH_ENABLED: String(pushOn), PUSH_CONCURRENCY: String(CONCURRENCY), CREATE_ON_FIRST_USE: 'false' });
  const store = new FakeStore();
  // 300 rooms of the load (loadgen names them <runId>-<n>), 6 members each with one token.
  for (let r = 0; r < 300; r++) {
    const users = Array.from({ length: 6 }, (_, k) => `${runId}-${r}-m${k}`);
    await store.addMembers(users.map((userId) => ({ roomId: `${runId}-${r}`, userId })));
    for (const u of users) await store.upsertDeviceToken(u, `${u}-tok`, 'android');
  }
  const pipeline = await startPipeline({ config, logger, registry, store, pushSender: pushOn ? await sender(mock, BROKER_TRANSPORT, registry, WORKERS[WORKERS.length - 1]) : undefined });
  const broker = await startBroker({ config, logger, registry, offload: pipeline.offload, history: pipeline.history });
  try {
    const o = loadOptions(['throughput', '--users', '1800', '--room-size', '6', '--senders', '1', '--window', '20'], ['--url', broker.url, '--run-id', runId, '--duration', DURATION, '--progress', 'none']);
    const r = await runLoad(o);
    const pushed = await value(registry, 'stompbox_push_sent_total');
    // The throughput scenario sends without receipts: SEND → delivery to the room's subscribers is the SEND latency.
    console.log(`(2) pushes ${pushOn ? 'ON ' : 'OFF'}: SEND→MESSAGE p50 ${r.latencyMs.p50.toFixed(1)} ms p99 ${r.latencyMs.p99.toFixed(1)} ms; ` +
      `${Math.round(r.deliveries.perSec)} deliveries/s; sent ${r.sent}; lost ${r.deliveries.lost}; errors ${r.errorTotal}; pushes sent ${pushed}; load ${loadavg()[0].toFixed(1)}`);
    return { p99: r.latencyMs.p99, perSec: r.deliveries.perSec };
  } finally {
    await broker.close();
    await pipeline.close();
  }
}

const BROKER_ROUNDS = Number(process.env.BENCH_BROKER_ROUNDS ?? 2);
const BROKER_TRANSPORT: FcmTransport = TRANSPORT === 'h1' ? 'h1' : 'h2';
const mock = await startMockChild();
try {
  if (!process.env.BENCH_SKIP_THROUGHPUT) await throughputRounds(mock);
  if (!process.env.BENCH_SKIP_BROKER) {
    const w = WORKERS[WORKERS.length - 1];
    console.log(`(2) the broker with pushes off and on (FCM over ${NAMES[BROKER_TRANSPORT]}${w > 0 ? `, ${w} send workers` : ', sent from the main thread'}), ${DURATION} each, alternating:`);
    const off: BrokerRun[] = [];
    const on: BrokerRun[] = [];
    for (let i = 0; i < BROKER_ROUNDS; i++) {
      off.push(await brokerRun(mock, false));
      on.push(await brokerRun(mock, true));
    }
    const p99 = (rs: BrokerRun[]) => median(rs.map((r) => r.p99));
    const perSec = (rs: BrokerRun[]) => median(rs.map((r) => r.perSec));
    console.log(`(2) median of ${BROKER_ROUNDS}: SEND p99 off ${p99(off).toFixed(1)} ms, on ${p99(on).toFixed(1)} ms (${(p99(on) / p99(off)).toFixed(2)}×); ` +
      `deliveries/s off ${Math.round(perSec(off))}, on ${Math.round(perSec(on))} (${(perSec(on) / perSec(off)).toFixed(2)}×)`);
  }
} finally {
  mock.child.kill('SIGTERM');
}
process.exit(0);
