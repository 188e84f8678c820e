/** Messages between pglite-store.ts (main thread) and pglite-worker.ts. */
import type { WireError } from './wire-errors';
import type { InsertPath } from './row-inserter';
import type { CopyOptions } from './insert-backends';

export interface WorkerInit {
  /** Directory for PGlite's files; undefined = in memory (tests). */
  dataDir?: string;
  migrationsDir: string;
  insertPath: InsertPath;
  insertChunkRows: number;
  /** How the copy path COPies; undefined = DEFAULT_COPY. */
  copy?: CopyOptions;
  /** Postgres settings passed as `-c name=value` start parameters. */
  settings: Record<string, string>;
}

export interface WorkerRequest {
  id: number;
  method: string;
  args: unknown[];
}

export type WorkerResponse =
  | { type: 'ready'; applied: string[] }
  | { type: 'failed'; error: { name: string; message: string } }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError };
