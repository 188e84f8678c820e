/**
 * A real PostgreSQL for tests: a fresh cluster in a temp dir on a free port, run as the
 * `postgres` user (initdb refuses root), started with `postgres` directly (no pg_ctl, so the
 * PID we hold is the postmaster). The cluster is copied from a template made once per machine
 * by initdb (about 0.9 s saved per instance). TEST_DATABASE_URL names an existing server
 * instead: then each call creates (and stop() drops) its own database there.
 *
 * Durability: fsync=off (data survives a killed server, not a power cut) for speed; commits
 * stay synchronous so a kill -9 never loses an acknowledged row.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresBinaries } from './binaries';
import { freePort, retryOnPortClash } from './ports';
import { GroupProcess, waitUntil } from './process-group';
import { ManagedService, startOrDiscard } from './managed-service';
import { ExternalServiceError, type ServiceHandle } from './service-handle';

export interface PostgresOptions {
  /** Database to create (default "stompbox"). */
  database?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  startTimeoutMs?: number;
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** initdb once per machine into /tmp; later instances copy it. Safe under concurrency (atomic rename). */
function templateCluster(initdb: string, version: string, user: { uid: number; gid: number }): string {
  const path = join(tmpdir(), `stompbox-pg-template-${version}`);
  if (existsSync(join(path, 'data', 'PG_VERSION'))) return path;
  const work = mkdtempSync(join(tmpdir(), 'stompbox-pg-tpl-'));
  chownSync(work, user.uid, user.gid);
  execFileSync(
    initdb,
    ['-D', join(work, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { uid: user.uid, gid: user.gid, stdio: 'pipe', cwd: work },
  );
  try {
    renameSync(work, path);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another process won the race
  }
  return path;
}

async function canQuery(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } finally {
    await c.end().catch(() => {});
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end().catch(() => {});
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function startPostgres(opts: PostgresOptions = {}): Promise<ServiceHandle> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) return externalPostgres(external, opts);
  return retryOnPortClash(() => startOwnPostgres(opts));
}

async function startOwnPostgres(opts: PostgresOptions): Promise<ServiceHandle> {

  const bins = postgresBinaries();
  const user = postgresUser();
  const template = templateCluster(bins.initdb, bins.version, user);
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-pg-'));
  chownSync(dir, user.uid, user.gid);
  execFileSync('cp', ['-a', join(template, 'data'), join(dir, 'data')]);
  const port = await freePort();
  const database = opts.database ?? 'stompbox';
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const url = `postgresql://postgres@127.0.0.1:${port}/${database}`;
  const logFile = join(dir, 'postgres.log');
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    shared_buffers: '128MB',
    ...opts.settings,
  };
  let created = false;

  const svc: ManagedService = new ManagedService({
    name: 'postgres',
    url,
    port,
    dir,
    logFile,
    haltSignal: 'SIGINT', // "fast" shutdown: roll back open transactions, then checkpoint
    haltGroup: false,
    spawn: () =>
      new GroupProcess({
        cmd: bins.postgres,
        args: ['-D', join(dir, 'data'), '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
        uid: user.uid,
        gid: user.gid,
        cwd: dir,
        logFile,
      }),
    waitReady: async (proc) => {
      await waitUntil('postgres', () => canQuery(adminUrl), { timeoutMs: opts.startTimeoutMs ?? 30_000, proc, logTail: () => svc.logTail() });
      if (!created) {
        await adminQuery(adminUrl, `CREATE DATABASE ${quoteIdent(database)}`);
        created = true;
      }
    },
  });
  return startOrDiscard(svc);
}

async function externalPostgres(serverUrl: string, opts: PostgresOptions): Promise<ServiceHandle> {
  const database = `${opts.database ?? 'stompbox'}_${randomBytes(4).toString('hex')}`;
  const u = new URL(serverUrl);
  const t0 = performance.now();
  await adminQuery(serverUrl, `CREATE DATABASE ${quoteIdent(database)}`);
  u.pathname = `/${database}`;
  const url = u.toString();
  const startMs = Math.round(performance.now() - t0);
  let dropped = false;
  const refuse = (op: string) => async () => {
    throw new ExternalServiceError('postgres', op);
  };
  return {
    name: 'postgres',
    url,
    port: Number(u.port || 5432),
    external: true,
    pid: null,
    startMs,
    start: async () => {},
    halt: refuse('halt'),
    kill: refuse('kill'),
    restart: refuse('restart'),
    stop: async () => {
      if (dropped) return;
      dropped = true;
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    },
  };
}
