/**
 * The harness itself: each service starts from the installed binaries, answers, keeps its data
 * across a graceful restart and across kill -9, and leaves no process or temp dir after stop().
 * (Skipped per service when an env var points at an external one.)
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import * as amqp from 'amqplib';
import { startPostgres, startRabbitMQ, startRedis } from './index';
import { groupAlive } from './process-group';
import { retryOnPortClash } from './ports';
import type { ManagedService } from './managed-service';

async function pgQuery(url: string, sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

function expectGone(pid: number | null, dir: string) {
  expect(pid).not.toBeNull();
  expect(groupAlive(pid!)).toBe(false);
  expect(existsSync(dir)).toBe(false);
}

describe.skipIf(!!process.env.TEST_DATABASE_URL)('startPostgres', () => {
  it('starts, keeps committed rows across restart and kill -9, and leaves nothing after stop', async () => {
    const svc = (await startPostgres({ database: 'harness' })) as ManagedService;
    try {
      expect(svc.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/harness$/);
      await pgQuery(svc.url, 'CREATE TABLE t (v int)');
      await pgQuery(svc.url, 'INSERT INTO t VALUES (1)');
      await svc.restart();
      await pgQuery(svc.url, 'INSERT INTO t VALUES (2)');
      const before = svc.pid!;
      await svc.kill();
      expect(groupAlive(before)).toBe(false); // backends died with the postmaster
      await expect(pgQuery(svc.url, 'SELECT 1')).rejects.toThrow();
      await svc.start();
      expect(svc.pid).not.toBe(before);
      expect((await pgQuery(svc.url, 'SELECT v FROM t ORDER BY v')).map((r) => r.v)).toEqual([1, 2]);
    } finally {
      const pid = svc.pid;
      await svc.stop();
      expectGone(pid, svc.dir);
    }
  });
});

describe.skipIf(!!process.env.TEST_REDIS_URL)('startRedis', () => {
  it('starts, keeps data across restart (AOF) and kill -9 (appendfsync always), and leaves nothing after stop', async () => {
    const svc = (await startRedis({ appendfsync: 'always' })) as ManagedService;
    const redis = new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => {}); // refused connections while the server is down are expected
    try {
      await redis.connect();
      await redis.xadd('s', '*', 'k', 'v1');
      await svc.restart();
      await redis.xadd('s', '*', 'k', 'v2');
      await svc.kill();
      await svc.start();
      const entries = await redis.xrange('s', '-', '+');
      expect(entries.map(([, f]) => f[1])).toEqual(['v1', 'v2']);
    } finally {
      redis.disconnect();
      const pid = svc.pid;
      await svc.stop();
      expectGone(pid, svc.dir);
    }
  });
});

describe.skipIf(!!process.env.TEST_AMQP_URL)('startRabbitMQ', () => {
  // Graceful restart before the kill on purpose: with RabbitMQ 3.10, a quorum queue declared and
  // then SIGKILLed before any clean shutdown came back unusable here (basic.get timing out for
  // minutes). See rabbitmq.ts.
  it('starts with STOMP plugins, keeps durable messages across restart and kill -9, and leaves nothing after stop', async () => {
    const svc = await startRabbitMQ({ plugins: ['rabbitmq_stomp', 'rabbitmq_web_stomp'] });
    const m = svc as unknown as ManagedService;
    try {
      expect(svc.url).toMatch(/^amqp:\/\/guest:guest@127\.0\.0\.1:\d+$/);
      expect(svc.webStompUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      const publish = async (text: string) => {
        const conn = await amqp.connect(svc.url);
        const ch = await conn.createConfirmChannel();
        // A classic durable queue: this checks the harness keeps RabbitMQ's data dir across
        // restart and kill -9. (Quorum queues after a kill -9 of a fresh 3.10 node are a
        // RabbitMQ matter, documented in rabbitmq.ts, and would make this test flaky.)
        await ch.assertQueue('harness', { durable: true });
        ch.sendToQueue('harness', Buffer.from(text), { persistent: true });
        await ch.waitForConfirms();
        await conn.close();
      };
      await publish('one');
      await svc.restart();
      await publish('two');
      await svc.kill();
      await svc.start();
      const conn = await amqp.connect(svc.url);
      const ch = await conn.createChannel();
      const got: string[] = [];
      for (let msg = await ch.get('harness', { noAck: true }); msg; msg = await ch.get('harness', { noAck: true })) got.push(msg.content.toString());
      await conn.close();
      expect(got).toEqual(['one', 'two']);
    } finally {
      const pid = svc.pid;
      await svc.stop();
      expectGone(pid, m.dir);
    }
  }, 120_000);
});

describe('retryOnPortClash', () => {
  it('starts again only when a port was taken meanwhile, at most `attempts` times', async () => {
    let calls = 0;
    const clash = async () => {
      calls++;
      if (calls < 3) throw new Error('redis: process exited during start-up\nbind: Address already in use');
      return 'up';
    };
    expect(await retryOnPortClash(clash, 3)).toBe('up');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnPortClash(async () => { calls++; throw new Error('initdb: permission denied'); })).rejects.toThrow(/permission denied/);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryOnPortClash(async () => { calls++; throw new Error('EADDRINUSE'); }, 2)).rejects.toThrow(/EADDRINUSE/);
    expect(calls).toBe(2);
  });
});
