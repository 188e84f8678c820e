import { startRedis } from '../apps/shared/testing/services/index';
import { RedisPackStream } from '../apps/consumer/redis-stream';
import { encodePack, decodePack } from '../apps/shared/offload/pack-codec';
import { messageFactory } from '../apps/shared/pipeline/testing/messages';
const redis = await startRedis();
try {
  const s = new RedisPackStream({ url: redis.url, key: 'k', group: 'g' });
  await s.init();
  const make = messageFactory();
  const body = encodePack([make(), make()]);
  console.log(await s.append([body]));
  const r = s.openReader('c1');
  const rr = new (await import('ioredis')).Redis(redis.url); console.log(JSON.stringify(await rr.callBuffer('XREADGROUP', ['GROUP','g','c2','COUNT',10,'STREAMS','k','0']), null, 0).slice(0,300)); rr.disconnect();
  const e = await r.read(10, 100);
  console.log(e.length, e[0]?.body.length, body.length, e[0] && decodePack(e[0].body).length);
  await r.close(); await s.close();
} finally { await redis.stop(); }
