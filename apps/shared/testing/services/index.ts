/**
 * Test harness: real RabbitMQ, Redis and Postgres from the installed Debian binaries, each on
 * free ports in its own temp dir, stopped by PID (process group) after the test.
 * TEST_DATABASE_URL / TEST_REDIS_URL / TEST_AMQP_URL name running services instead.
 *
 *   const pg = await startPostgres();   // pg.url = postgresql://postgres@127.0.0.1:PORT/stompbox
 *   ... await pg.kill(); await pg.start();   // crash and recover, same port and data
 *   afterAll(() => pg.stop());
 */
export { startPostgres, type PostgresOptions } from './postgres';
export { startRedis, redisPing, type RedisOptions } from './redis';
export { startRabbitMQ, amqpAnswers, type RabbitOptions, type RabbitHandle, type RabbitPlugin } from './rabbitmq';
export type { ServiceHandle } from './service-handle';
export { ExternalServiceError } from './service-handle';
export { freePort, freePorts } from './ports';
