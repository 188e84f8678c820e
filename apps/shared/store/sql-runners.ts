/** SqlRunner (migrations.ts) over one `pg` connection or one PGlite instance. */
import type pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlRunner } from './migrations';

export function pgRunner(client: pg.Client | pg.PoolClient): SqlRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params as unknown[] | undefined)).rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params as unknown[] | undefined)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}
