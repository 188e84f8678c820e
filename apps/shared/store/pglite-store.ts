/**
 * The embedded Store (no DATABASE_URL): PGlite, Postgres compiled to wasm, with its files
 * under DATA_DIR/pglite and the same migrations as the real server. It runs in a worker thread
 * (pglite-worker.ts): PGlite executes on the calling thread, and a 1,000-row insert would
 * otherwise stall the broker's event loop. PGlite.create takes ~6 s: open once per process.
 *
 * Calls are proxied with postMessage; at most `maxPending` may be in flight (then calls fail
 * with StoreUnavailableError instead of queueing without bound). One process per data dir:
 * a lock file next to it refuses a second opener (e.g. `npm run db:migrate` while `npm start` runs).
 */
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { OutboundMessage } from '../message';
import { compiledEntry, RUNNING_FROM_SOURCE } from '../project-root';
import { DEFAULT_MIGRATIONS_DIR } from './migrations';
import { INSERT_CHUNK_ROWS, StoreUnavailableError, type InsertResult } from './message-store';
import { PackedRows } from './packed-rows';
import { initInChild } from './pglite-init';
import type { InsertPath } from './row-inserter';
import type { CopyOptions } from './insert-backends';
import type { DevicePlatform, DeviceToken } from './device-token-store';
import type { Member, MemberPair, Room } from './room-directory';
import type { Store } from './store';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './pglite-protocol';
import { fromWireError } from './wire-errors';

export interface PgliteStoreOptions {
  /** Directory for PGlite's files; omit for an in-memory database (tests). */
  dataDir?: string;
  migrationsDir?: string;
  /** Calls in flight before new ones are refused. Default 10,000. */
  maxPending?: number;
  /** Default 120 s (PGlite.create alone takes ~6 s on an idle 2-core machine, 30 s+ under heavy load). */
  startTimeoutMs?: number;
  /** How insertBatch writes (row-inserter.ts); default copy. */
  insertPath?: InsertPath;
  /** Rows per insert statement; default INSERT_CHUNK_ROWS. */
  insertChunkRows?: number;
  /** How the copy path COPies (insert-backends.ts); default DEFAULT_COPY. */
  copy?: CopyOptions;
  /** Postgres settings for the embedded server (`-c name=value` at start), e.g. shared_buffers. */
  settings?: Record<string, string>;
}

/** Where the embedded database lives inside DATA_DIR. */
export function pgliteDataDir(dataDir: string): string {
  return resolve(dataDir, 'pglite');
}

/**
 * The worker's entry: from source, a plain-JS boot that loads the TypeScript worker through
 * tsx; in the compiled build, the worker's own bundle, run by plain node.
 */
const WORKER_ENTRY = RUNNING_FROM_SOURCE
  ? new URL('./pglite-worker-boot.mjs', import.meta.url)
  : compiledEntry('apps/shared/store/pglite-worker.ts');

export async function openPgliteStore(opts: PgliteStoreOptions = {}): Promise<PgliteStore> {
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const unlock = dataDir ? await lockDataDir(dataDir) : () => {};
  const init: WorkerInit = {
    dataDir,
    migrationsDir: opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR,
    insertPath: opts.insertPath ?? 'copy',
    insertChunkRows: opts.insertChunkRows ?? INSERT_CHUNK_ROWS,
    copy: opts.copy,
    settings: opts.settings ?? {},
  };
  if (dataDir) {
    try {
      await initInChild(WORKER_ENTRY, dataDir, init.settings, opts.startTimeoutMs ?? 120_000);
    } catch (err) {
      unlock();
      throw err;
    }
  }
  const worker = new Worker(WORKER_ENTRY, { workerData: init });
  const store = new PgliteStore(worker, opts.maxPending ?? 10_000, unlock);
  try {
    await store.ready(opts.startTimeoutMs ?? 120_000);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Data dirs open in this process. */
const openDirs = new Set<string>();

/** Refuse to open a data dir another live process (or this one) holds: PGlite has no locking of its own. */
async function lockDataDir(dataDir: string, waitMs = 5_000): Promise<() => void> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const lock = `${dataDir}.lock`;
  if (openDirs.has(dataDir)) throw new StoreUnavailableError(`embedded database ${dataDir} is in use by process ${process.pid} (this one)`);
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    // A holder that was just killed may take a moment to disappear: wait a little before refusing.
    const deadline = Date.now() + waitMs;
    while (pid && pid !== process.pid && processAlive(pid)) {
      if (Date.now() > deadline) throw new StoreUnavailableError(`embedded database ${dataDir} is in use by process ${pid} (lock ${lock})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  writeFileSync(lock, String(process.pid));
  openDirs.add(dataDir);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    openDirs.delete(dataDir);
    rmSync(lock, { force: true });
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class PgliteStore implements Store {
  readonly kind = 'pglite';
  /** Migrations applied when the worker opened the database. */
  appliedMigrations: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;
  private closing: Promise<void> | null = null;
  private readyWaiter: Pending | null = null;

  constructor(
    private readonly worker: Worker,
    private readonly maxPending: number,
    private readonly unlock: () => void,
  ) {
    worker.on('message', (msg: WorkerResponse) => this.onMessage(msg));
    worker.on('error', (err) => this.fail(new StoreUnavailableError(`embedded database worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.fail(new StoreUnavailableError(`embedded database worker exited (code ${code})`)));
  }

  /** Calls in flight (for metrics / back-pressure). */
  inFlight(): number {
    return this.pending.size;
  }

  ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(`embedded database not ready after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private onMessage(msg: WorkerResponse): void {
    if (msg.type === 'ready') {
      this.appliedMigrations = msg.applied;
      this.readyWaiter?.resolve(undefined);
      this.readyWaiter = null;
      return;
    }
    if (msg.type === 'failed') {
      this.fail(new StoreUnavailableError(`embedded database failed to open: ${msg.error.message}`));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(fromWireError(msg.error));
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.readyWaiter?.reject(err);
    this.readyWaiter = null;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.unlock();
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing && method !== 'close') return Promise.reject(new StoreUnavailableError('pglite store is closed'));
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new StoreUnavailableError(`embedded database busy: ${this.pending.size} calls in flight`));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  }

  /** insertBatch takes PackedRows too: they travel as one pack (one buffer to clone, not an object per row). */
  readonly packedRows = true;

  insertBatch(batch: OutboundMessage[] | PackedRows): Promise<InsertResult> {
    const rows = batch instanceof PackedRows ? batch : PackedRows.fromMessages(batch);
    return this.call('insertPack', [rows.toPack()]);
  }
  async lastMessages(roomId: string, limit: number): Promise<OutboundMessage[]> {
    return reviveAll(await this.call('lastMessages', [roomId, limit]));
  }
  async messagesAfter(roomId: string, afterId: string, limit: number): Promise<OutboundMessage[]> {
    return reviveAll(await this.call('messagesAfter', [roomId, afterId, limit]));
  }
  async messagesBefore(roomId: string, beforeId: string | null, limit: number): Promise<OutboundMessage[]> {
    return reviveAll(await this.call('messagesBefore', [roomId, beforeId, limit]));
  }
  countMessages(roomId?: string): Promise<number> {
    return this.call('countMessages', roomId === undefined ? [] : [roomId]);
  }
  ensureRoomAndUser(roomId: string, userId: string): Promise<void> {
    return this.call('ensureRoomAndUser', [roomId, userId]);
  }
  ensureUser(userId: string): Promise<void> {
    return this.call('ensureUser', [userId]);
  }
  ensureRoom(roomId: string): Promise<void> {
    return this.call('ensureRoom', [roomId]);
  }
  roomExists(roomId: string): Promise<boolean> {
    return this.call('roomExists', [roomId]);
  }
  addMember(roomId: string, userId: string): Promise<boolean> {
    return this.call('addMember', [roomId, userId]);
  }
  addMembers(pairs: readonly MemberPair[]): Promise<number> {
    return this.call('addMembers', [pairs]);
  }
  removeMember(roomId: string, userId: string): Promise<boolean> {
    return this.call('removeMember', [roomId, userId]);
  }
  isMember(roomId: string, userId: string): Promise<boolean> {
    return this.call('isMember', [roomId, userId]);
  }
  listMembers(roomId: string, limit?: number, afterUserId?: string): Promise<Member[]> {
    // An undefined limit crosses to the worker as undefined, where the default applies.
    return this.call('listMembers', afterUserId !== undefined ? [roomId, limit, afterUserId] : limit === undefined ? [roomId] : [roomId, limit]);
  }
  createRoom(roomId: string, name: string, ownerId: string): Promise<Room | null> {
    return this.call('createRoom', [roomId, name, ownerId]);
  }
  getRoom(roomId: string): Promise<Room | null> {
    return this.call('getRoom', [roomId]);
  }
  listRoomsOf(userId: string, limit: number, afterRoomId?: string): Promise<Room[]> {
    return this.call('listRoomsOf', afterRoomId === undefined ? [userId, limit] : [userId, limit, afterRoomId]);
  }
  deleteRoom(roomId: string): Promise<boolean> {
    return this.call('deleteRoom', [roomId]);
  }
  upsertDeviceToken(userId: string, token: string, platform: DevicePlatform): Promise<void> {
    return this.call('upsertDeviceToken', [userId, token, platform]);
  }
  listDeviceTokens(userIds: string[]): Promise<DeviceToken[]> {
    return this.call('listDeviceTokens', [userIds]);
  }
  deleteDeviceTokens(tokens: string[]): Promise<number> {
    return this.call('deleteDeviceTokens', [tokens]);
  }
  deleteDeviceTokenOf(userId: string, token: string): Promise<boolean> {
    return this.call('deleteDeviceTokenOf', [userId, token]);
  }
  pruneDeviceTokens(notSeenSince: Date, limit?: number): Promise<number> {
    return this.call('pruneDeviceTokens', limit === undefined ? [notSeenSince] : [notSeenSince, limit]);
  }

  /** Close the database (flushes PGlite's files), then end the worker. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        if (!this.dead) await this.call('close', []).catch(() => {});
        await this.worker.terminate().catch(() => 0);
        this.fail(new StoreUnavailableError('pglite store is closed'));
      })();
    }
    return this.closing;
  }
}

function reviveAll(msgs: OutboundMessage[]): OutboundMessage[] {
  for (const m of msgs) {
    const b = m.body as unknown as Uint8Array;
    if (!Buffer.isBuffer(b)) m.body = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  return msgs;
}

