/**
 * `npm run services`: local RabbitMQ (with STOMP, Web-STOMP and management plugins), Redis and
 * PostgreSQL for development, from Debian's packages, without Docker. Each runs on a free
 * port with its files in a temp dir (the test harness, apps/shared/testing/services);
 * the migrations are applied; the variables to export are printed. Ctrl-C stops everything
 * and deletes the temp dirs.
 *
 *   npm run services                 # then, in another shell, paste the printed exports
 *   npm run services -- --write-env .env.services   # also write them to a file
 */
import { writeFileSync } from 'node:fs';
import { startPostgres, startRabbitMQ, startRedis, type ServiceHandle } from '../apps/shared/testing/services';
import { migratePostgres } from '../apps/shared/store/postgres-store';

async function main(): Promise<void> {
  // Always start our own, even when the test overrides are set.
  delete process.env.TEST_DATABASE_URL;
  delete process.env.TEST_REDIS_URL;
  delete process.env.TEST_AMQP_URL;

  const started: ServiceHandle[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping services...');
    await Promise.allSettled(started.map((s) => s.stop()));
    console.log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const t0 = performance.now();
    const [rabbit, redis, pg] = await Promise.all([
      startRabbitMQ({ plugins: ['rabbitmq_stomp', 'rabbitmq_web_stomp', 'rabbitmq_management'] }).then((s) => (started.push(s), s)),
      startRedis().then((s) => (started.push(s), s)),
      startPostgres({ database: 'stompbox' }).then((s) => (started.push(s), s)),
    ]);
    await migratePostgres(pg.url, (m) => console.log(m));
    const env = { AMQP_URL: rabbit.url, REDIS_URL: redis.url, DATABASE_URL: pg.url };
    const exports = Object.entries(env).map(([k, v]) => `export ${k}=${v}`).join('\n');
    console.log(`\nservices up in ${Math.round(performance.now() - t0)} ms (rabbitmq ${rabbit.startMs} ms, redis ${redis.startMs} ms, postgres ${pg.startMs} ms)\n`);
    console.log(exports);
    console.log(`\n# RabbitMQ STOMP:      127.0.0.1:${rabbit.stompPort}`);
    console.log(`# RabbitMQ Web-STOMP:  ${rabbit.webStompUrl}   (for comparing clients / bench against RabbitMQ)`);
    console.log(`# RabbitMQ management: ${rabbit.managementUrl}   (guest / guest)`);
    console.log('\nCtrl-C stops them and deletes their data.');
    const i = process.argv.indexOf('--write-env');
    if (i > 0 && process.argv[i + 1]) {
      writeFileSync(process.argv[i + 1], exports + '\n');
      console.log(`(written to ${process.argv[i + 1]})`);
    }
    // Keep running until a signal arrives.
    setInterval(() => {}, 1 << 30);
  } catch (err) {
    console.error(`services failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

void main();
