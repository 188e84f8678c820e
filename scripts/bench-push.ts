/**
 * `npm run bench:push`: push throughput and the cost of push to the broker.
 *
 * (1) Push throughput: the push consumer (in-process queue twin → members → collapse → the real
 *     firebase-admin SDK over HTTP/1.1) against the FCM mock in a child process answering after
 *     50 ms (scripts/bench-push-mock.ts). ROOMS rooms of MEMBERS members, one token each, one
 *     message per room: ROOMS × (MEMBERS − 1) tokens. Prints tokens/s (first pack published →
 *     last answer handled) and this process's CPU per token.
 * (2) Pushes on vs off in the same run: the broker and the embedded pipeline in this process
 *     (in-process queue and stream, a store double with the rooms' members and tokens), the
 *     load generator's throughput scenario (300 rooms × 6, one sender each, 20 in flight) with
 *     AMQP_PUSH_ENABLED=false, then =true (FCM = the same mock), twice each → SEND→MESSAGE
 *     latency p50/p99 and deliveries/s. Pushes go to the 5 non-sending members of each room
 *     (nobody is online for push: presence is not wired in this harness).
 * Env: BENCH_ROOMS (60), BENCH_MEMBERS (500), BENCH_CONCURRENCY (PUSH_CONCURRENCY, 8),
 * BENCH_FCM_LATENCY_MS (50), BENCH_SOCKETS (1000), BENCH_DURATION (10s), BENCH_SKIP_BROKER=1 (only (1)).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startPipeline } from '../apps/all-in-one/pipeline';
import { startBroker } from '../apps/broker/broker';
import { createFcmApp } from '../apps/consumer/push/fcm-app';
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
import { FcmMock } from '../apps/shared/testing/fcm-mock';
import type { DeviceToken } from '../apps/shared/store/device-token-store';
import type { Member, Room } from '../apps/shared/store/room-directory';

const ROOMS = Number(process.env.BENCH_ROOMS ?? 60);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const LATENCY = Number(process.env.BENCH_FCM_LATENCY_MS ?? 50);
/** HTTP/1.1 connections to FCM at most (requests beyond wait in the agent for a free one). */
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1_000);
const DURATION = process.env.BENCH_DURATION ?? '10s';
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

/** The mock in its own process: FCM's cost is not this process's. */
async function startMockChild(): Promise<{ port: number; child: ChildProcess; received: () => number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench-push-mock.ts'], {
    env: { ...process.env, BENCH_FCM_LATENCY_MS: String(LATENCY) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let received = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`mock exited ${code}`)));
    child.stdout!.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        const p = /^port=(\d+)/.exec(line);
        if (p) resolve(Number(p[1]));
        const r = /^received=(\d+)/.exec(line);
        if (r) received = Number(r[1]);
      }
    });
  });
  return { port, child, received: () => received };
}

let appSeq = 0;
function sender(port: number, registry: Registry): PushSender {
  const fcm = createFcmApp({
    credential: new FcmMock().credential(),
    projectId: 'bench',
    appName: `bench-${++appSeq}`,
    httpAgent: FcmMock.agentTo(port, SOCKETS),
    legacyHttpTransport: true,
  });
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

async function pushThroughput(port: number): Promise<void> {
  const registry = new Registry();
  const rooms = new Map<string, string[]>();
  for (let r = 0; r < ROOMS; r++) rooms.set(`b${r}`, Array.from({ length: MEMBERS }, (_, i) => `b${r}u${i}`));
  const queue = new MemoryPackQueue(1_000_000, 64, registry);
  const push = await startPush(
    { source: queue.source, deadLetters: new MemoryDeadLetters(1_000, registry), store: benchDirectory(rooms) as never, presence: null, sender: sender(port, registry) },
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

  const expected = ROOMS * (MEMBERS - 1) + warm.length * (MEMBERS - 1);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const id of rooms.keys()) publish([id]);
  while ((await value(registry, 'stompbox_push_sent_total')) < expected) await sleep(20);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const tokens = ROOMS * (MEMBERS - 1);
  const fcm = await registry.getSingleMetric('stompbox_push_fcm_seconds')!.get();
  const sum = fcm.values.find((v) => (v as { metricName?: string }).metricName === 'stompbox_push_fcm_seconds_sum')?.value ?? 0;
  const count = fcm.values.find((v) => (v as { metricName?: string }).metricName === 'stompbox_push_fcm_seconds_count')?.value ?? 1;
  console.log(`(1) push throughput: ${tokens} tokens in ${ms.toFixed(0)} ms = ${Math.round((tokens * 1000) / ms)} tokens/s; ` +
    `CPU of this process ${(((cpu.user + cpu.system) / 1000 / ms) * 100).toFixed(0)} % of a core, ${((cpu.user + cpu.system) / tokens).toFixed(0)} µs/token; ` +
    `mean sendEachForMulticast ${((sum / count) * 1000).toFixed(0)} ms (mock answers after ${LATENCY} ms); concurrency ${CONCURRENCY} × 500, ${SOCKETS} sockets`);
  await push.close();
}

async function brokerRun(port: number, pushOn: boolean): Promise<void> {
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
  const pipeline = await startPipeline({ config, logger, registry, store, pushSender: pushOn ? sender(port, registry) : undefined });
  const broker = await startBroker({ config, logger, registry, offload: pipeline.offload, history: pipeline.history });
  try {
    const o = loadOptions(['throughput', '--users', '1800', '--room-size', '6', '--senders', '1', '--window', '20'], ['--url', broker.url, '--run-id', runId, '--duration', DURATION, '--progress', 'none']);
    const r = await runLoad(o);
    const pushed = await value(registry, 'stompbox_push_sent_total');
    // The throughput scenario sends without receipts: SEND → delivery to the room's subscribers is the SEND latency.
    console.log(`(2) pushes ${pushOn ? 'ON ' : 'OFF'}: SEND→MESSAGE p50 ${r.latencyMs.p50.toFixed(1)} ms p99 ${r.latencyMs.p99.toFixed(1)} ms; ` +
      `${Math.round(r.deliveries.perSec)} deliveries/s; sent ${r.sent}; lost ${r.deliveries.lost}; errors ${r.errorTotal}; pushes sent ${pushed}`);
  } finally {
    await broker.close();
    await pipeline.close();
  }
}

const mock = await startMockChild();
try {
  await pushThroughput(mock.port);
  if (!process.env.BENCH_SKIP_BROKER) {
    await brokerRun(mock.port, false);
    await brokerRun(mock.port, true);
    await brokerRun(mock.port, false);
    await brokerRun(mock.port, true);
  }
} finally {
  mock.child.kill('SIGTERM');
}
process.exit(0);
