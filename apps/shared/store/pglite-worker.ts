/**
 * Worker-thread side of the embedded store (pglite-store.ts): owns the PGlite instance (files
 * under the data dir), applies the migrations, and serves MessageStore calls posted by the main
 * thread. PGlite runs Postgres in wasm on the thread that calls it, so keeping it here leaves
 * the broker's event loop free.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, readMigrations } from './migrations';
import { pgliteRunner } from './sql-runners';
import type { PrismaMessageStore } from './prisma-store';
import { pgliteBackend } from './insert-backends';
import { PackedRows } from './packed-rows';
import { RowInserter } from './row-inserter';
import type { OutboundMessage } from '../message';
import type { WorkerRequest, WorkerResponse, WorkerInit } from './pglite-protocol';
import { toWireError } from './wire-errors';
import { INIT_FLAG } from './pglite-init';

const port = parentPort!;
const init = workerData as WorkerInit;

/**
 * Run as a child process (pglite-init.ts): create the data directory (PGlite runs initdb),
 * close it and exit, so initdb's memory leaves with the process.
 */
async function createDataDir(dataDir: string, settings: Record<string, string>): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, startParams: startParams(settings) });
  await db.close();
}

async function main(): Promise<void> {
  let db: PGlite;
  try {
    if (init.dataDir) mkdirSync(init.dataDir, { recursive: true });
    db = await PGlite.create({ ...(init.dataDir ? { dataDir: init.dataDir } : {}), startParams: startParams(init.settings) });
    const migrated = await applyMigrations(pgliteRunner(db), readMigrations(init.migrationsDir));
    // Loaded here, not at the top: the data-directory child (createDataDir) needs none of it.
    const [{ PrismaPGlite }, { PrismaClient }, { PrismaMessageStore }] = await Promise.all([
      import('pglite-prisma-adapter'),
      import('./generated/prisma/client'),
      import('./prisma-store'),
    ]);
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
    const inserter = init.insertPath === 'prisma'
      ? undefined
      : new RowInserter(pgliteBackend(db, init.copy), init.insertPath, init.insertChunkRows);
    const store = new PrismaMessageStore('pglite', prisma, () => db.close(), inserter);
    port.postMessage({ type: 'ready', applied: migrated.applied } satisfies WorkerResponse);
    port.on('message', (req: WorkerRequest) => void serve(store, req));
  } catch (err) {
    port.postMessage({ type: 'failed', error: errorInfo(err) } satisfies WorkerResponse);
  }
}

async function serve(store: PrismaMessageStore, req: WorkerRequest): Promise<void> {
  try {
    // insertPack: the rows of one pack (pglite-store.ts sends a batch as one buffer).
    const method = req.method === 'insertPack' ? 'insertBatch' : req.method;
    const args = req.method === 'insertPack' ? [PackedRows.fromPack(toBuffer(req.args[0] as Uint8Array))]
      : req.method === 'insertBatch' ? [(req.args[0] as OutboundMessage[]).map(reviveBody)] : req.args;
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    if (typeof fn !== 'function') throw new Error(`unknown store method ${req.method}`);
    const value = await fn.apply(store, args);
    port.postMessage({ type: 'result', id: req.id, ok: true, value } satisfies WorkerResponse);
    if (req.method === 'close') port.close();
  } catch (err) {
    port.postMessage({ type: 'result', id: req.id, ok: false, error: toWireError(err) } satisfies WorkerResponse);
  }
}

/** PGlite's own start parameters plus `-c name=value` for each setting. */
function startParams(settings: Record<string, string>): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Structured clone turns Buffers into Uint8Arrays; the row code wants Buffers. */
function reviveBody(m: OutboundMessage): OutboundMessage {
  const b = m.body as unknown as Uint8Array;
  return Buffer.isBuffer(b) ? m : { ...m, body: Buffer.from(b.buffer, b.byteOffset, b.byteLength) };
}

function errorInfo(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}

const flag = process.argv.indexOf(INIT_FLAG);
if (isMainThread && flag >= 0) {
  createDataDir(process.argv[flag + 1], JSON.parse(process.argv[flag + 2] ?? '{}')).then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
} else void main();
