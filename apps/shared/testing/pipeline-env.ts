/**
 * Helpers for the pipeline's service tests and benchmark: one set of real services per file,
 * separate RabbitMQ/Redis names per test (so tests sharing services never see each other's
 * packs), direct SQL checks on the messages table.
 */
import pg from 'pg';
import { applyMigrations } from '../store/migrations';
import { pgRunner } from '../store/sql-runners';

/** Queue, exchange, stream and cache names private to one test. */
export function isolatedEnv(tag: string): Record<string, string> {
  return {
    AMQP_EXCHANGE: `t.${tag}.chat`,
    AMQP_PERSIST_QUEUE: `t.${tag}.persist`,
    AMQP_PUSH_QUEUE: `t.${tag}.push`,
    AMQP_DEAD_EXCHANGE: `t.${tag}.dead`,
    AMQP_DEAD_QUEUE: `t.${tag}.dead`,
    STREAM_KEY: `t:${tag}:persist`,
    RECENT_CACHE_PREFIX: `t:${tag}:recent:`,
  };
}

export async function migrate(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await applyMigrations(pgRunner(c));
  } finally {
    await c.end();
  }
}

/** Stored ids of one node (message ids end with the node id). */
export async function storedIds(url: string, nodeId: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ id: string }>('SELECT id FROM messages WHERE node_id = $1', [nodeId]);
    return r.rows.map((x) => x.id);
  } finally {
    await c.end();
  }
}

export async function countRows(url: string, nodeId: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE node_id = $1', [nodeId]);
    return Number(r.rows[0].n);
  } catch {
    return -1; // database away (fault tests)
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Rows per sender of one node. */
export async function sendersOf(url: string, nodeId: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ sender_id: string; n: string }>('SELECT sender_id, count(*) AS n FROM messages WHERE node_id = $1 GROUP BY sender_id', [nodeId]);
    return Object.fromEntries(r.rows.map((x) => [x.sender_id, Number(x.n)]));
  } finally {
    await c.end();
  }
}
