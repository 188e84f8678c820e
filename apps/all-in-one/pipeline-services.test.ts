/**
 * The pipeline on real RabbitMQ, Redis and Postgres, one set of services for the whole file
 * (shared/testing/services: free ports, temp dirs, stopped after). Each test uses its own
 * exchange/queues/stream names and node id, so tests never see each other's messages.
 *
 * What a sender can lose (documented in amqp-offload.ts): a message whose promise resolved
 * (RECEIPT) is always stored exactly once; one that failed or was refused got an error.
 * Only messages still in the broker process's buffer when that process dies are lost
 * unannounced, and that process is never killed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../shared/config';
import { freePort, startPostgres, startRabbitMQ, startRedis, type ServiceHandle } from '../shared/testing/services/index';
import { openBrokerBackends } from '../broker/broker-backends';
import { startPipeline } from './pipeline';
import { countRows, isolatedEnv, migrate, sendersOf, storedIds } from '../shared/testing/pipeline-env';
import { messageFactory, waitFor } from '../shared/testing/messages';
import { sendLoop } from '../shared/testing/send-loop';
import { startBroker } from '../broker/broker';
import { frame, rawConnect } from '../broker/testing/raw-client';
import { sleep } from '../shared/sleep';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Fault tests restart services: well past vitest's 30 s default on a busy machine. */
const TEST_TIMEOUT_MS = 180_000;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let rabbit: ServiceHandle;
let redis: ServiceHandle;
let postgres: ServiceHandle;

beforeAll(async () => {
  [rabbit, redis, postgres] = await Promise.all([startRabbitMQ(), startRedis({ appendfsync: 'always' }), startPostgres()]);
  await migrate(postgres.url);
}, 120_000);

afterAll(async () => {
  await Promise.all([rabbit?.stop(), redis?.stop(), postgres?.stop()]);
});

function config(tag: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    AMQP_URL: rabbit.url,
    REDIS_URL: redis.url,
    DATABASE_URL: postgres.url,
    DRAIN_TIMEOUT_MS: '5000',
    WRITER_CLAIM_IDLE_MS: '1000',
    // A slow CI machine may take a while to restart RabbitMQ: senders wait rather than fail.
    OFFLOAD_TIMEOUT_MS: '60000',
    ...isolatedEnv(tag),
    ...extra,
  });
}

async function expectAllStored(nodeId: string, mustHave: Iterable<string>, mayHave: Iterable<string>, timeoutMs = 30_000) {
  const need = new Set(mustHave);
  await waitFor(async () => (await countRows(postgres.url, nodeId)) >= need.size, timeoutMs, `${need.size} rows of ${nodeId}`, 100);
  // Let stragglers (accepted, failed-but-delivered) land, then compare exactly.
  await sleep(300);
  const ids = await storedIds(postgres.url, nodeId);
  const stored = new Set(ids);
  expect(stored.size).toBe(ids.length); // once each (primary key, checked anyway)
  const missing = [...need].filter((id) => !stored.has(id));
  expect(missing).toEqual([]);
  const allowed = new Set(mayHave);
  expect(ids.filter((id) => !allowed.has(id))).toEqual([]);
}

describe('pipeline on RabbitMQ + Redis + Postgres', () => {
  it('stores 10,000 messages sent through the offload exactly once each', async () => {
    const p = await startPipeline({ config: config('tenk'), logger, registry: new Registry() });
    try {
      const make = messageFactory('tenk');
      const msgs = Array.from({ length: 10_000 }, () => make());
      await Promise.all(msgs.map((m) => p.offload.publish(m)));
      await expectAllStored('tenk', msgs.map((m) => m.id), msgs.map((m) => m.id));
      const last = await p.history.query({ kind: 'last', roomId: 'r7', limit: 3 });
      expect(last.map((m) => m.id)).toEqual(msgs.filter((m) => m.roomId === 'r7').slice(-3).map((m) => m.id));
      expect(last[2].body.equals(msgs.filter((m) => m.roomId === 'r7').at(-1)!.body)).toBe(true);
    } finally {
      await p.close();
    }
  }, TEST_TIMEOUT_MS);

  it('dead-letters a corrupt pack and a row the database refuses, with their reasons', async () => {
    const cfg = config('poison');
    const p = await startPipeline({ config: cfg, logger, registry: new Registry() });
    const conn = await amqp.connect(rabbit.url);
    try {
      const ch = await conn.createConfirmChannel();
      await new Promise<void>((res, rej) => ch.publish(cfg.AMQP_EXCHANGE, 'pack', Buffer.from('not a pack'), { persistent: true }, (e) => (e ? rej(e) : res())));
      const make = messageFactory('poison', 2);
      const good = make();
      // Postgres jsonb cannot hold U+0000: the database refuses this row.
      const bad = make({ headers: { note: 'nul\u0000inside' } });
      await Promise.all([p.offload.publish(good), p.offload.publish(bad)]);
      const letters: amqp.GetMessage[] = [];
      await waitFor(async () => {
        const m = await ch.get(cfg.AMQP_DEAD_QUEUE, { noAck: true });
        if (m) letters.push(m);
        return letters.length >= 2;
      }, 15_000, 'two dead letters', 100);
      const byStage = Object.fromEntries(letters.map((l) => [String(l.properties.headers?.['x-stage']), l]));
      expect(String(byStage.decode.properties.headers?.['x-reason'])).toMatch(/invalid pack/);
      expect(byStage.decode.content.toString()).toBe('not a pack');
      expect(String(byStage.store.properties.headers?.['x-message-ids'])).toBe(bad.id);
      expect(String(byStage.store.properties.headers?.['x-reason']).length).toBeGreaterThan(5);
      await expectAllStored('poison', [good.id], [good.id]);
    } finally {
      await conn.close();
      await p.close();
    }
  }, TEST_TIMEOUT_MS);

  it('RabbitMQ restarted mid-run: every confirmed message is stored once', async () => {
    const p = await startPipeline({ config: config('rmq'), logger, registry: new Registry() });
    try {
      const loop = sendLoop(p.offload, messageFactory('rmq'), 40, 10);
      await sleep(1_000);
      await rabbit.restart();
      await sleep(1_500);
      await loop.stop();
      expect(loop.confirmed.size).toBeGreaterThan(1_000);
      // The buffer carried the restart: nothing timed out.
      expect(loop.failed.size).toBe(0);
      await expectAllStored('rmq', loop.confirmed, loop.accepted, 60_000);
    } finally {
      await p.close();
    }
  }, TEST_TIMEOUT_MS);

  it('Redis restarted and Postgres away ~10 s mid-run: the buffer holds, then drains; nothing lost', async () => {
    const p = await startPipeline({ config: config('outage', { STREAM_MAX_ENTRIES: '200' }), logger, registry: new Registry() });
    try {
      const loop = sendLoop(p.offload, messageFactory('outage'), 40, 10);
      await sleep(800);
      await postgres.halt();
      const downAt = Date.now();
      await sleep(2_000);
      await redis.restart();
      await sleep(Math.max(0, 10_000 - (Date.now() - downAt)));
      // Bounded while the database was away: the stream stops at its bound, RabbitMQ holds the rest.
      expect(await p.consumer.backlog()).toBeLessThanOrEqual(200 + 64);
      await postgres.start();
      await sleep(500);
      await loop.stop();
      expect(loop.failed.size).toBe(0);
      await expectAllStored('outage', loop.confirmed, loop.accepted, 60_000);
    } finally {
      await p.close();
    }
  }, TEST_TIMEOUT_MS);

  it('kill -9 of the consumer process mid-run, then a restart: every confirmed message is stored once', async () => {
    const cfg = config('kill');
    const port = await freePort();
    const env = { ...process.env, ...Object.fromEntries(Object.entries({
      AMQP_URL: rabbit.url, REDIS_URL: redis.url, DATABASE_URL: postgres.url, CONSUMER_PORT: String(port), CONSUMER_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn', WRITER_CLAIM_IDLE_MS: '1000', ...isolatedEnv('kill'),
    })) };
    const startConsumerProcess = (): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'apps/consumer/main.ts'], { cwd: ROOT, env, stdio: ['ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'] });
      return child;
    };
    // The standalone broker's side: RabbitMQ offload + history, no consumer in this process.
    const brokerSide = await openBrokerBackends({ config: cfg, logger, registry: new Registry() });
    const offload = brokerSide.offload;
    let child = startConsumerProcess();
    try {
      const loop = sendLoop(offload, messageFactory('kill'), 40, 10);
      await waitFor(async () => (await countRows(postgres.url, 'kill')) > 500, 30_000, 'the consumer to store something', 100);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await sleep(1_000);
      child = startConsumerProcess();
      await sleep(1_500);
      await loop.stop();
      expect(loop.failed.size).toBe(0);
      await expectAllStored('kill', loop.confirmed, loop.accepted, 60_000);
      // History as the standalone broker sees it (Redis recent cache, then Postgres).
      expect(loop.refused).toBe(0);
      const r0 = loop.accepted.filter((_, i) => i % 50 === 0);
      const newest = await brokerSide.history.query({ kind: 'last', roomId: 'r0', limit: 3 });
      expect(newest.map((m) => m.id)).toEqual(r0.slice(-3));
      // The consumer's own HTTP surface.
      const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
      expect(health).toMatchObject({ status: 'ok', source: { kind: 'amqp', ready: true }, stream: { kind: 'redis' }, store: 'postgres' });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^stompbox_db_insert_rows_total\{store="postgres",outcome="inserted"\} \d+/m);
      expect(metrics).toMatch(/^stompbox_consumer_batch_rows_count \d+/m);
      // Graceful stop of the consumer process: exit code 0.
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await brokerSide.close();
    }
  }, TEST_TIMEOUT_MS);

  it('end to end through the broker: SENDs with receipts over WebSockets become rows, 10,000 from 20 senders exactly once', async () => {
    const cfg = config('e2e', { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ID: 'e2e' });
    const p = await startPipeline({ config: cfg, logger, registry: new Registry() });
    const broker = await startBroker({ config: cfg, logger, offload: p.offload, history: p.history });
    try {
      const c = await rawConnect(broker.url, ['v12.stomp']);
      c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'alice' }));
      await c.waitFor((f) => f.command === 'CONNECTED');
      c.send(frame('SEND', { destination: '/topic/room.e2e', receipt: 'r1', 'content-type': 'text/plain' }, 'hello stompbox'));
      await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r1');
      await waitFor(async () => (await countRows(postgres.url, 'e2e')) === 1, 15_000, 'the row', 50);
      const rows = await p.store.lastMessages('e2e', 5);
      expect(rows.map((m) => [m.senderId, m.destination, m.body.toString()])).toEqual([['alice', '/topic/room.e2e', 'hello stompbox']]);
      c.close();

      // 10,000 SENDs from 20 senders over their own WebSockets → exactly 10,000 more rows.
      const senders = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const s = await rawConnect(broker.url, ['v12.stomp']);
        s.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: `sender${i}` }));
        await s.waitFor((f) => f.command === 'CONNECTED');
        return s;
      }));
      await Promise.all(senders.map(async (s, i) => {
        for (let k = 0; k < 500; k++) {
          const headers: Record<string, string> = { destination: `/topic/room.load${i % 5}` };
          if (k % 100 === 99) headers.receipt = `r${k}`;
          s.send(frame('SEND', headers, `sender ${i} message ${k}`));
        }
        await s.waitForCount((f) => f.command === 'RECEIPT', 5, 30_000);
        expect(s.frames.filter((f) => f.command === 'ERROR')).toEqual([]);
      }));
      await waitFor(async () => (await countRows(postgres.url, 'e2e')) >= 10_001, 60_000, '10,001 rows', 100);
      await sleep(300);
      expect(await countRows(postgres.url, 'e2e')).toBe(10_001);
      expect(await p.store.countMessages('load3')).toBe(2_000); // senders 3, 8, 13, 18
      const perSender = await sendersOf(postgres.url, 'e2e');
      expect(Object.keys(perSender).length).toBe(21);
      for (let i = 0; i < 20; i++) expect(perSender[`sender${i}`]).toBe(500);
      for (const s of senders) s.close();
    } finally {
      await broker.close();
      await p.close();
    }
  }, TEST_TIMEOUT_MS);
});
