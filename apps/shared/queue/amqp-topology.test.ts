/**
 * The topology on a real RabbitMQ (shared/testing/services): no pack reaches the push queue
 * while pushes are off (also where an earlier version bound it), the full dead-letter queue
 * refuses new letters and keeps its oldest, and an existing queue with the earlier arguments
 * stops start-up with an error that says what to do. Each test uses its own names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import pino from 'pino';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../config';
import { startRabbitMQ, type ServiceHandle } from '../testing/services/index';
import { isolatedEnv } from '../testing/pipeline-env';
import { messageFactory, waitFor } from '../testing/messages';
import { createAmqpOffload } from './amqp-offload';
import { AmqpConsumerLink } from './amqp-consumer-link';
import { DeadLetterRefusedError } from './pack-source';
import { packingFrom, topologyFrom } from './queue-options';
import { PACK_ROUTING_KEY } from './amqp-topology';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let rabbit: ServiceHandle;
let admin: amqp.ChannelModel;

beforeAll(async () => {
  rabbit = await startRabbitMQ();
  admin = await amqp.connect(rabbit.url);
}, 120_000);

afterAll(async () => {
  await admin?.close().catch(() => undefined);
  await rabbit?.stop();
});

function config(tag: string, extra: Record<string, string> = {}): Config {
  return loadConfig({ AMQP_URL: rabbit.url, OFFLOAD_PACK_MAX_MESSAGES: '10', ...isolatedEnv(tag), ...extra });
}

/** Messages in a queue, or null when it does not exist (checked on a throwaway channel: a 404 closes it). */
async function depth(queue: string): Promise<number | null> {
  const ch = await admin.createChannel();
  ch.on('error', () => undefined);
  try {
    return (await ch.checkQueue(queue)).messageCount;
  } catch {
    return null;
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** Publish `n` messages through the broker's RabbitMQ offload, all confirmed. */
async function publish(cfg: Config, n: number, tag: string): Promise<void> {
  const offload = createAmqpOffload({ ...packingFrom(cfg), url: rabbit.url, topology: topologyFrom(cfg), maxInflightPacks: 16 }, logger, new Registry());
  await offload.start();
  try {
    const make = messageFactory(tag);
    // Sent over several turns, so they go out as many packs.
    for (let i = 0; i < n; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => offload.publish(make())));
    }
  } finally {
    await offload.close();
  }
}

function capturedLogger() {
  const lines: Array<{ level: number; msg: string; err?: string }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe('AMQP topology on RabbitMQ', () => {
  it('puts no pack in the push queue while pushes are off, not even where an earlier version bound it', async () => {
    // The topology of the earlier version: the push queue bound to the exchange.
    const cfg = config('nopush', { AMQP_PUSH_ENABLED: 'false' });
    const ch = await admin.createChannel();
    await ch.assertExchange(cfg.AMQP_EXCHANGE, 'direct', { durable: true });
    await ch.assertQueue(cfg.AMQP_PUSH_QUEUE, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': cfg.AMQP_DEAD_EXCHANGE,
        'x-delivery-limit': cfg.AMQP_DELIVERY_LIMIT,
        'x-max-length': cfg.AMQP_PUSH_MAX_LENGTH,
        'x-max-length-bytes': cfg.AMQP_PUSH_MAX_BYTES,
      },
    });
    await ch.bindQueue(cfg.AMQP_PUSH_QUEUE, cfg.AMQP_EXCHANGE, PACK_ROUTING_KEY);
    await ch.close();

    await publish(cfg, 500, 'nopush');
    expect(await depth(cfg.AMQP_PERSIST_QUEUE)).toBeGreaterThanOrEqual(50); // packs of at most 10
    expect(await depth(cfg.AMQP_PUSH_QUEUE)).toBe(0);

    // On a server that never had it, the push queue is not even declared.
    const fresh = config('nopushfresh', { AMQP_PUSH_ENABLED: 'false' });
    await publish(fresh, 100, 'nopushfresh');
    expect(await depth(fresh.AMQP_PERSIST_QUEUE)).toBeGreaterThanOrEqual(10);
    expect(await depth(fresh.AMQP_PUSH_QUEUE)).toBeNull();
  }, 60_000);

  it('routes packs to the push queue too when AMQP_PUSH_ENABLED is on', async () => {
    const cfg = config('push', { AMQP_PUSH_ENABLED: 'true' });
    await publish(cfg, 100, 'push');
    const persisted = await depth(cfg.AMQP_PERSIST_QUEUE);
    expect(persisted).toBeGreaterThanOrEqual(10);
    expect(await depth(cfg.AMQP_PUSH_QUEUE)).toBe(persisted);
  }, 60_000);

  it('a full dead-letter queue refuses new letters, keeps the oldest, and the refusals are counted', async () => {
    const cfg = config('deadfull', { AMQP_DEAD_MAX_LENGTH: '3' });
    const registry = new Registry();
    const link = new AmqpConsumerLink({ url: rabbit.url, topology: topologyFrom(cfg), prefetch: 8, startWaitMs: 30_000 }, logger, registry);
    await link.source.start(() => undefined);
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const letter = { reason: `refused row ${i}`, stage: 'store', body: Buffer.from(`pack ${i}`), messageIds: [`m${i}`] };
        outcomes.push(await link.deadLetters.put(letter).then(() => 'kept', (e) => (e instanceof DeadLetterRefusedError ? 'refused' : `error ${e}`)));
      }
      // A quorum queue takes one past x-max-length, then nacks every publish.
      const kept = outcomes.filter((o) => o === 'kept').length;
      expect(kept).toBeGreaterThanOrEqual(3);
      expect(kept).toBeLessThanOrEqual(4);
      expect(outcomes).toEqual([...Array(kept).fill('kept'), ...Array(8 - kept).fill('refused')]);
      const refusedCount = await registry.getSingleMetric('stompbox_dead_letters_refused_total')!.get();
      expect(refusedCount.values.find((v) => v.labels.sink === 'amqp')?.value).toBe(8 - kept);
      expect(await depth(cfg.AMQP_DEAD_QUEUE)).toBe(kept);
      // The oldest dead letter is still there, first in line.
      const ch = await admin.createChannel();
      const first = await ch.get(cfg.AMQP_DEAD_QUEUE, { noAck: false });
      expect(first && first.content.toString()).toBe('pack 0');
      expect(first && String(first.properties.headers?.['x-message-ids'])).toBe('m0');
      await ch.close();
    } finally {
      await link.source.close();
    }
  }, 60_000);

  it('refuses to start on a dead-letter queue declared by an earlier version, saying how to migrate', async () => {
    const cfg = config('deadold');
    const ch = await admin.createChannel();
    await ch.assertQueue(cfg.AMQP_DEAD_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-length': 1_000_000, 'x-max-length-bytes': 256 * 1024 * 1024 } });
    await ch.close();
    const { logger: log, lines } = capturedLogger();
    const link = new AmqpConsumerLink({ url: rabbit.url, topology: topologyFrom(cfg), prefetch: 8, startWaitMs: 500 }, log, new Registry());
    await link.source.start(() => undefined);
    try {
      await waitFor(() => lines.some((l) => l.level >= 50 && /refused to declare/.test(l.err ?? '')), 15_000, 'the error logged');
      const err = lines.find((l) => l.level >= 50)!.err!;
      expect(err).toContain(`dead-letter queue "${cfg.AMQP_DEAD_QUEUE}"`);
      expect(err).toContain('PRECONDITION_FAILED');
      expect(err).toContain(`rabbitmqctl delete_queue ${cfg.AMQP_DEAD_QUEUE}`);
      expect(link.source.isReady()).toBe(false);
    } finally {
      await link.source.close();
    }
  }, 60_000);
});
