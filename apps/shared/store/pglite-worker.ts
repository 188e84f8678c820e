/**
 * Worker-thread side of the embedded store (pglite-store.ts): owns the PGlite instance (files
 * under the data dir), applies the migrations, and serves MessageStore calls posted by the main
 * thread. PGlite runs Postgres in wasm on the thread that calls it, so keeping it here leaves
 * the broker's event loop free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, readMigrations } from './migrations';
import { pgliteRunner } from './sql-runners';
import { PrismaMessageStore } from './prisma-store';
import type { OutboundMessage } from '../message';
import type { WorkerRequest, WorkerResponse, WorkerInit } from './pglite-protocol';
import { toWireError } from './wire-errors';

const port = parentPort!;
const init = workerData as WorkerInit;

async function main(): Promise<void> {
  let db: PGlite;
  try {
    if (init.dataDir) mkdirSync(init.dataDir, { recursive: true });
    db = await PGlite.create(init.dataDir ? { dataDir: init.dataDir } : {});
    const migrated = await applyMigrations(pgliteRunner(db), readMigrations(init.migrationsDir));
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
    const store = new PrismaMessageStore('pglite', prisma, () => db.close());
    port.postMessage({ type: 'ready', applied: migrated.applied } satisfies WorkerResponse);
    port.on('message', (req: WorkerRequest) => void serve(store, req));
  } catch (err) {
    port.postMessage({ type: 'failed', error: errorInfo(err) } satisfies WorkerResponse);
  }
}

async function serve(store: PrismaMessageStore, req: WorkerRequest): Promise<void> {
  try {
    const args = req.method === 'insertBatch' ? [(req.args[0] as OutboundMessage[]).map(reviveBody)] : req.args;
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.method];
    if (typeof fn !== 'function') throw new Error(`unknown store method ${req.method}`);
    const value = await fn.apply(store, args);
    port.postMessage({ type: 'result', id: req.id, ok: true, value } satisfies WorkerResponse);
    if (req.method === 'close') port.close();
  } catch (err) {
    port.postMessage({ type: 'result', id: req.id, ok: false, error: toWireError(err) } satisfies WorkerResponse);
  }
}

/** Structured clone turns Buffers into Uint8Arrays; the row code wants Buffers. */
function reviveBody(m: OutboundMessage): OutboundMessage {
  const b = m.body as unknown as Uint8Array;
  return Buffer.isBuffer(b) ? m : { ...m, body: Buffer.from(b.buffer, b.byteOffset, b.byteLength) };
}

function errorInfo(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}

void main();
