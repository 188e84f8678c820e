import pino from 'pino';
import { Registry } from 'prom-client';
import { startRabbitMQ, startRedis } from '../apps/shared/testing/services/index';
import { loadConfig } from '../apps/shared/config';
import { startPipeline } from '../apps/shared/pipeline/pipeline';
import { FakeStore } from '../apps/shared/pipeline/testing/fake-store';
import { messageFactory, waitFor } from '../apps/shared/pipeline/testing/messages';

const t0 = Date.now();
const [rabbit, redis] = await Promise.all([startRabbitMQ(), startRedis()]);
console.log('services up', Date.now() - t0, rabbit.url, redis.url);
try {
  const config = loadConfig({ AMQP_URL: rabbit.url, REDIS_URL: redis.url });
  const store = new FakeStore();
  const registry = new Registry(); const p = await startPipeline({ config, logger: pino({ level: 'info' }), registry, store });
  const make = messageFactory('smk');
  const t1 = Date.now();
  const msgs = Array.from({ length: 50_000 }, () => make());
  await Promise.all(msgs.map((m) => p.offload.publish(m)));
  console.log('confirmed 50k in', Date.now() - t1);
  const reg = (p as any).__reg;
  for (let i = 0; i < 15 && store.rows.size < 50_000; i++) { await new Promise(r => setTimeout(r, 1000)); console.log('rows', store.rows.size, 'calls', store.insertCalls, 'backlog', await p.consumer.backlog(), p.consumer.status()); }
  console.log('stored 50k in', Date.now() - t1);
  console.log((await registry.metrics()).split('\n').filter(l => l.startsWith('stompbox_consumer') && !l.includes('bucket')).join('\n'));
  await p.close();
} finally {
  await Promise.all([rabbit.stop(), redis.stop()]);
}
