import pino from 'pino';
import { Registry } from 'prom-client';
import { startRabbitMQ, startRedis } from '../apps/shared/testing/services/index';
import { loadConfig } from '../apps/shared/config';
import { startPipeline } from '../apps/shared/pipeline/pipeline';
import { FakeStore } from '../apps/shared/pipeline/testing/fake-store';
import { messageFactory, waitFor } from '../apps/shared/pipeline/testing/messages';
import { sendLoop } from '../apps/shared/pipeline/testing/send-loop';

const [rabbit, redis] = await Promise.all([startRabbitMQ(), startRedis({ appendfsync: 'always' })]);
try {
  const config = loadConfig({ AMQP_URL: rabbit.url, REDIS_URL: redis.url, WRITER_CLAIM_IDLE_MS: '1000', STREAM_MAX_ENTRIES: '200' });
  const store = new FakeStore();
  const p = await startPipeline({ config, logger: pino({ level: 'warn' }), registry: new Registry(), store });
  const loop = sendLoop(p.offload, messageFactory('smk'), 40, 10);
  await new Promise((r) => setTimeout(r, 1000));
  console.log('restart rabbit');
  await rabbit.restart();
  console.log('rabbit back');
  await new Promise((r) => setTimeout(r, 1000));
  store.unavailable = true;
  console.log('restart redis');
  await redis.restart();
  await new Promise((r) => setTimeout(r, 3000));
  console.log('backlog', await p.consumer.backlog(), p.consumer.status());
  store.unavailable = false;
  await loop.stop();
  console.log('accepted', loop.accepted.length, 'confirmed', loop.confirmed.size, 'failed', loop.failed.size, 'refused', loop.refused);
  await waitFor(() => [...loop.confirmed].every((id) => store.rows.has(id)), 30_000, 'all confirmed stored');
  console.log('stored', store.rows.size, 'dups offered', [...store.offered.values()].filter((n) => n > 1).length);
  await p.close();
} finally {
  await Promise.all([rabbit.stop(), redis.stop()]);
}
