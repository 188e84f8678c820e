/**
 * `npm run bench:insights`: the cost of trending words.
 *
 * (1) Counting cost per message: finding the words of generated Korean/English chat messages
 *     (µs/message), and recording them into the in-process buckets and Redis (µs/message).
 * (2) The embedded pipeline (in-process queue and stream, PGlite in a worker thread) with
 *     insights off and on, alternated in the same run: messages/s landed in the database, and
 *     for "on" when the last one was counted.
 * (3) Query latency (p50/p99) for W = 1, 5, 60 minutes with ROOMS rooms active over the last
 *     hour, on Redis (a redis-server from the test harness) and the in-process twin; per room and
 *     across rooms, with the summed-window cache off (every query sums) and on (1 s).
 *
 * Options (env): BENCH_COUNT_N (50000), BENCH_PIPELINE_N (20000), BENCH_ROUNDS (3),
 * BENCH_ROOMS (10000), BENCH_PER_MINUTE (10000: messages per minute over the hour),
 * BENCH_QUERIES (2000 per room case, a tenth of that across rooms), BENCH_SKIP (comma list of count,pipeline,query).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../apps/shared/config';
import { startRedis } from '../apps/shared/testing/services/index';
import { startPipeline } from '../apps/all-in-one/pipeline';
import { burst } from '../apps/shared/testing/send-loop';
import type { OutboundMessage } from '../apps/shared/message';
import { messageFactory } from '../apps/shared/testing/messages';
import { sleep } from '../apps/shared/sleep';
import { InsightsCounter } from '../apps/consumer/insights/insights-counter';
import { counterOptionsFrom } from '../apps/consumer/insights/start-insights';
import { chatTexts, generateMessages, mulberry32, T0 } from '../apps/shared/insights/generated-chat';
import { MemoryTrendingStore } from '../apps/shared/insights/memory-trending-store';
import { RedisTrendingStore } from '../apps/shared/insights/redis-trending-store';
import { BUCKET_MS, type TrendingStore, type TrendingStoreOptions } from '../apps/shared/insights/trending-store';

const COUNT_N = Number(process.env.BENCH_COUNT_N ?? 50_000);
const PIPELINE_N = Number(process.env.BENCH_PIPELINE_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROOMS = Number(process.env.BENCH_ROOMS ?? 10_000);
const PER_MINUTE = Number(process.env.BENCH_PER_MINUTE ?? 10_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2_000);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const logger = pino({ level: 'error' });

function chatMessages(n: number, nodeId: string, rooms: number, json: boolean): OutboundMessage[] {
  const make = messageFactory(nodeId, rooms);
  return chatTexts(n, nodeId.length).map((text) =>
    json ? make({ contentType: 'application/json', body: Buffer.from(JSON.stringify({ text })) }) : make({ contentType: 'text/plain', body: Buffer.from(text) }),
  );
}

/** CPU time (user + system) of this process since `from`, in µs: steadier than wall time on a shared box. */
const cpuUs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x: number, d = 2) => x.toFixed(d);

async function countingCost(redisUrl: string): Promise<void> {
  const config = loadConfig({});
  const msgs = chatMessages(COUNT_N, 'cost', 1_000, true);
  const bytes = msgs.reduce((a, m) => a + m.body.length, 0);
  const stores: Array<[string, TrendingStore]> = [
    ['memory', new MemoryTrendingStore({ maxWordsPerRoomBucket: 1_000, maxWordsOverallBucket: 10_000, queryCacheMs: 0, maxEntries: 2_000_000 })],
    ['redis', new RedisTrendingStore({ url: redisUrl, keyPrefix: 'cost:', maxWordsPerRoomBucket: 1_000, maxWordsOverallBucket: 10_000, queryCacheMs: 0 })],
  ];
  const counter = new InsightsCounter(stores[0][1], counterOptionsFrom(config), logger, new Registry());
  counter.countable(msgs.slice(0, 2_000)); // warm up the segmenter and the JIT
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const counted = counter.countable(msgs);
  const tokenizeUs = ((performance.now() - t0) * 1000) / msgs.length;
  const tokenizeCpuUs = cpuUs(c0) / msgs.length;
  const words = counted.reduce((a, c) => a + c.words.length, 0);
  console.log(`counting: ${COUNT_N} messages (${fmt(bytes / COUNT_N, 0)} bytes of JSON each, ${fmt(words / counted.length, 1)} words counted each)`);
  console.log(`  find words (JSON parse, segment, particles, stop words): ${fmt(tokenizeUs)} µs/message (CPU ${fmt(tokenizeCpuUs)} µs)`);
  for (const [kind, store] of stores) {
    await store.record(counted.slice(0, 500));
    const s0 = performance.now();
    const c1 = process.cpuUsage();
    for (let i = 0; i < counted.length; i += 500) await store.record(counted.slice(i, i + 500));
    const us = ((performance.now() - s0) * 1000) / counted.length;
    console.log(`  record into ${kind} buckets (batches of 500): ${fmt(us)} µs/message (CPU of this process ${fmt(cpuUs(c1) / counted.length)} µs)`);
    await store.close();
  }
}


async function pipelineRun(dataDir: string, insights: boolean, round: number): Promise<{ land: number; counted: number | null; cpu: number }> {
  const registry = new Registry();
  const p = await startPipeline({ config: loadConfig({ DATA_DIR: dataDir, INSIGHTS_ENABLED: String(insights), OFFLOAD_TIMEOUT_MS: '300000' }), logger, registry });
  try {
    const before = await p.store.countMessages();
    const msgs = chatMessages(PIPELINE_N, `p${insights ? 'on' : 'off'}${round}`, 1_000, true);
    const t0 = Date.now();
    const c0 = process.cpuUsage();
    await burst(p.offload, msgs);
    while ((await p.store.countMessages()) < before + PIPELINE_N) await sleep(10);
    const t1 = Date.now();
    let counted: number | null = null;
    if (insights) {
      const done = async () => {
        const m = (await registry.getSingleMetric('stompbox_insights_messages_total')!.get()).values;
        return m.reduce((a, v) => a + v.value, 0);
      };
      while ((await done()) < PIPELINE_N) await sleep(10);
      counted = PIPELINE_N / ((Date.now() - t0) / 1000);
      const skipped = (await registry.getSingleMetric('stompbox_insights_messages_total')!.get()).values.find((v) => v.labels.outcome === 'skipped_queue_full')?.value ?? 0;
      if (skipped > 0) console.log(`  (round ${round}: ${skipped} messages not counted: queue full)`);
    }
    // CPU of the whole process (main thread and the PGlite worker) until landed and counted.
    return { land: PIPELINE_N / ((t1 - t0) / 1000), counted, cpu: cpuUs(c0) / PIPELINE_N };
  } finally {
    await p.close();
  }
}

async function pipeline(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-bench-insights-'));
  try {
    await pipelineRun(dataDir, true, 0); // creates the database, warms up
    const off: number[] = [];
    const on: number[] = [];
    const counted: number[] = [];
    const cpuOff: number[] = [];
    const cpuOn: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const a = await pipelineRun(dataDir, false, r);
      off.push(a.land);
      cpuOff.push(a.cpu);
      const x = await pipelineRun(dataDir, true, r);
      on.push(x.land);
      counted.push(x.counted!);
      cpuOn.push(x.cpu);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    console.log(`embedded pipeline, ${PIPELINE_N} JSON chat messages per run, ${ROUNDS} rounds off/on alternated:`);
    console.log(`  insights off: ${off.map((x) => fmt(x, 0)).join(', ')} msgs/s landed (mean ${fmt(mean(off), 0)})`);
    console.log(`  insights on:  ${on.map((x) => fmt(x, 0)).join(', ')} msgs/s landed (mean ${fmt(mean(on), 0)}); all counted at ${counted.map((x) => fmt(x, 0)).join(', ')} msgs/s`);
    console.log(`  on / off: ${fmt((100 * mean(on)) / mean(off), 1)}% of the msgs/s`);
    console.log(`  process CPU per message: off ${cpuOff.map((x) => fmt(x, 1)).join(', ')} µs, on ${cpuOn.map((x) => fmt(x, 1)).join(', ')} µs (means ${fmt(mean(cpuOff), 1)} / ${fmt(mean(cpuOn), 1)})`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function queries(redisUrl: string): Promise<void> {
  const now = T0 + 59 * BUCKET_MS + 30_000;
  const clock = () => now;
  const hour = generateMessages({ minutes: 60, perMinute: PER_MINUTE, rooms: ROOMS, vocabulary: 5_000, seed: 3 });
  const opts = (queryCacheMs: number): TrendingStoreOptions => ({ maxWordsPerRoomBucket: 1_000, maxWordsOverallBucket: 10_000, queryCacheMs, now: clock });
  const kinds: Array<[string, (cacheMs: number) => TrendingStore]> = [
    ['memory', (c) => new MemoryTrendingStore({ ...opts(c), maxEntries: 50_000_000 })],
    ['redis', (c) => new RedisTrendingStore({ ...opts(c), url: redisUrl, keyPrefix: 'q:' })],
  ];
  console.log(`queries: ${ROOMS} rooms, ${PER_MINUTE} messages/minute over 60 minutes (${hour.length} messages, Zipf over 5,000 words)`);
  for (const [kind, make] of kinds) {
    const filler = make(0);
    const f0 = Date.now();
    for (let i = 0; i < hour.length; i += 5_000) await filler.record(hour.slice(i, i + 5_000));
    console.log(`  ${kind}: filled in ${fmt((Date.now() - f0) / 1000, 1)} s`);
    for (const cacheMs of [0, 1_000]) {
      const s = cacheMs === 0 ? filler : make(cacheMs);
      if (s !== filler && kind === 'memory') {
        // the twin's buckets live in the instance: fill the cached one too
        for (let i = 0; i < hour.length; i += 5_000) await s.record(hour.slice(i, i + 5_000));
      }
      const rnd = mulberry32(9);
      for (const W of [1, 5, 60]) {
        for (const scope of ['room', 'all'] as const) {
          const n = scope === 'room' ? QUERIES : Math.max(20, Math.floor(QUERIES / 10));
          const lat: number[] = [];
          for (let i = 0; i < n; i++) {
            const roomId = scope === 'room' ? `room${Math.floor(rnd() * ROOMS)}` : null;
            const t0 = performance.now();
            await s.top({ roomId, windowMinutes: W, limit: 10 });
            lat.push(performance.now() - t0);
          }
          lat.sort((a, b) => a - b);
          console.log(`  ${kind} cache ${cacheMs} ms W=${W} ${scope === 'room' ? 'one room  ' : 'all rooms '}: p50 ${fmt(pct(lat, 50), 3)} ms, p99 ${fmt(pct(lat, 99), 3)} ms (${n} queries)`);
        }
      }
      if (s !== filler) await s.close();
    }
    await filler.close();
  }
}

async function main(): Promise<void> {
  const redis = await startRedis({ persistence: false });
  try {
    if (!SKIP.has('count')) await countingCost(redis.url);
    if (!SKIP.has('pipeline')) await pipeline();
    if (!SKIP.has('query')) await queries(redis.url);
  } finally {
    await redis.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
