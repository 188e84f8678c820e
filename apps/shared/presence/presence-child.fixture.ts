/**
 * A process reporting one user to Redis presence, for the kill -9 test (presence.test.ts):
 * prints "ready" once its user is written, then idles until killed.
 */
import { RedisPresence } from './redis-presence';

const env = process.env;
const p = new RedisPresence({
  url: env.REDIS_URL!,
  keyPrefix: env.PRESENCE_KEY_PREFIX,
  refreshMs: Number(env.PRESENCE_REFRESH_MS),
  expiryMs: Number(env.PRESENCE_EXPIRY_MS),
});
p.connected(env.PRESENCE_USER!, 'c1');
await p.start();
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30); // presence's own timers do not keep a process alive
