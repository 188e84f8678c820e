/**
 * Push inside the product's pipeline: a SEND on the broker becomes a push at the FCM mock, on
 * the embedded twins (the in-process push queue) and on a real RabbitMQ (the push queue); a
 * mock that fails every call ends in the dead-letter place with the reason, bounded in memory.
 */
import amqp from 'amqplib';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from './pipeline';
import { startBroker, type BrokerHandle } from '../broker/broker';
import { frame, rawConnect } from '../broker/testing/raw-client';
import { loadConfig } from '../shared/config';
import { FakeStore } from '../shared/testing/fake-store';
import { FCM_ERRORS, FcmMock } from '../shared/testing/fcm-mock';
import { waitFor } from '../shared/testing/messages';
import { isolatedEnv } from '../shared/testing/pipeline-env';
import { startRabbitMQ, type ServiceHandle } from '../shared/testing/services/index';
import { fakePresence, mockSender, seedRoom } from '../consumer/push/testing/push-rig';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.reverse()) await close();
  opened = [];
});

interface Stack {
  broker: BrokerHandle;
  pipeline: Pipeline;
  mock: FcmMock;
  store: FakeStore;
  presence: ReturnType<typeof fakePresence>;
  registry: Registry;
}

async function stack(env: Record<string, string> = {}): Promise<Stack> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DRAIN_TIMEOUT_MS: '3000', PUSH_COLLAPSE_MS: '0', PUSH_RETRY_BASE_MS: '5', PUSH_RETRY_MAX_MS: '50', ...env });
  const registry = new Registry();
  const mock = await new FcmMock().start();
  const store = new FakeStore();
  const presence = fakePresence();
  const pipeline = await startPipeline({ config, logger, registry, store, presence, pushSender: mockSender(mock, registry) });
  const broker = await startBroker({ config, logger, registry, offload: pipeline.offload, history: pipeline.history });
  opened.push(async () => {
    await broker.close();
    await pipeline.close();
    await mock.close();
  });
  return { broker, pipeline, mock, store, presence, registry };
}

async function send(url: string, login: string, roomId: string, bodies: string[]): Promise<void> {
  const c = await rawConnect(url, ['v12.stomp']);
  c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login }));
  bodies.forEach((b, i) => c.send(frame('SEND', { destination: `/topic/room.${roomId}`, receipt: `r${i}` }, b)));
  await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === `r${bodies.length - 1}`, 20_000);
  c.close();
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

describe('push in the pipeline, embedded twins', () => {
  it('a SEND on the broker becomes a push to the offline member, none to the online one or the sender; the message is stored too', async () => {
    const s = await stack();
    await seedRoom(s.store, 'lobby', ['alice', 'bob', 'carol']);
    s.presence.online.add('carol');
    await send(s.broker.url, 'alice', 'lobby', ['hello from the broker']);
    await waitFor(() => s.mock.received === 1, 15_000, 'one push');
    expect(s.mock.requests[0].token).toBe('bob-t0');
    expect(s.mock.requests[0].message.notification.body).toBe('alice: hello from the broker');
    await waitFor(() => s.store.rows.size === 1, 10_000, 'the message stored');
    expect(s.mock.requests[0].message.data.messageId).toBe([...s.store.rows.keys()][0]);
    expect(s.pipeline.push?.status().source.kind).toBe('memory');
  });

  it('dead-letters pushes FCM keeps failing, with the reason, holding at most the retry bound', async () => {
    const s = await stack({ PUSH_RETRY_ATTEMPTS: '2', PUSH_RETRY_MAX_TOKENS: '20' });
    const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
    for (let r = 0; r < 6; r++) await seedRoom(s.store, `room${r}`, ['kim', ...users]);
    // INTERNAL: firebase-admin does not retry it itself (it does retry a 503, for seconds).
    s.mock.reply = () => FCM_ERRORS.internal();
    for (let r = 0; r < 6; r++) await send(s.broker.url, 'kim', `room${r}`, [`m${r}`]);
    await waitFor(async () => (await metric(s.registry, 'stompbox_push_dead_lettered_total')) === 60, 30_000, '60 dead-lettered');
    const letters = s.pipeline.deadLetters!.list().filter((l) => l.stage === 'push');
    expect(letters.reduce((n, l) => n + JSON.parse(l.body.toString()).tokens.length, 0)).toBe(60);
    for (const l of letters) expect(l.reason).toMatch(/^push: internal after 2 attempts/);
    expect(s.pipeline.push!.status().retryTokensPeak).toBeLessThanOrEqual(20 + 10);
    expect(await metric(s.registry, 'stompbox_push_sent_total')).toBe(0);
  }, 60_000);
});

describe('push in the pipeline, RabbitMQ', () => {
  let rabbit: ServiceHandle;
  beforeAll(async () => {
    rabbit = await startRabbitMQ();
  }, 120_000);
  afterAll(async () => {
    await rabbit?.stop();
  });

  it('a SEND on the broker reaches the push queue and becomes a push; a push that keeps failing is dead-lettered with its reason', async () => {
    const tag = `push${process.pid}`;
    const s = await stack({ AMQP_URL: rabbit.url, PUSH_RETRY_ATTEMPTS: '2', ...isolatedEnv(tag) });
    await seedRoom(s.store, 'lobby', ['alice', 'bob']);
    await send(s.broker.url, 'alice', 'lobby', ['over rabbit']);
    await waitFor(() => s.mock.received === 1, 20_000, 'one push');
    expect(s.mock.requests[0].message.notification.body).toBe('alice: over rabbit');
    expect(s.pipeline.push?.status().source.kind).toBe('amqp');

    s.mock.reply = () => FCM_ERRORS.internal();
    await send(s.broker.url, 'alice', 'lobby', ['doomed']);
    await waitFor(async () => (await metric(s.registry, 'stompbox_push_dead_lettered_total')) === 1, 20_000, 'dead-lettered');
    const conn = await amqp.connect(rabbit.url);
    try {
      const ch = await conn.createChannel();
      let reasons: string[] = [];
      await waitFor(async () => {
        const got = await ch.get(`t.${tag}.dead`, { noAck: true });
        if (got) reasons.push(String(got.properties.headers?.['x-reason']) + ' / ' + String(got.properties.headers?.['x-stage']));
        return reasons.some((r) => r.includes('push'));
      }, 10_000, 'the letter in the dead-letter queue');
      reasons = reasons.filter((r) => r.includes('push'));
      expect(reasons[0]).toMatch(/^push: internal after 2 attempts.* \/ push$/);
    } finally {
      await conn.close();
    }
  }, 90_000);
});
