/**
 * A real Redis for tests: redis-server on a free port with its files in a temp dir.
 * Append-only file on (fsync every second by default) so a restart keeps the streams, as the
 * pipeline's "Redis restarted" test needs; pass appendfsync 'always' to survive kill -9 with
 * nothing lost. TEST_REDIS_URL names an existing server instead.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerBinary } from './binaries';
import { freePort, retryOnPortClash } from './ports';
import { GroupProcess, waitUntil } from './process-group';
import { ManagedService, startOrDiscard } from './managed-service';
import { ExternalServiceError, type ServiceHandle } from './service-handle';

export interface RedisOptions {
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Turn persistence off entirely (fastest; a restart empties it). */
  persistence?: boolean;
  /** Extra `--name value` arguments. */
  args?: string[];
  startTimeoutMs?: number;
}

/** PING over a raw socket: true on +PONG. */
export function redisPing(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    let buf = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    sock.on('error', () => done(false));
  });
}

export async function startRedis(opts: RedisOptions = {}): Promise<ServiceHandle> {
  const external = process.env.TEST_REDIS_URL;
  if (external) {
    const u = new URL(external);
    const refuse = (op: string) => async () => {
      throw new ExternalServiceError('redis', op);
    };
    return {
      name: 'redis', url: external, port: Number(u.port || 6379), external: true, pid: null, startMs: 0,
      start: async () => {}, halt: refuse('halt'), kill: refuse('kill'), restart: refuse('restart'), stop: async () => {},
    };
  }
  return retryOnPortClash(() => startOwnRedis(opts));
}

async function startOwnRedis(opts: RedisOptions): Promise<ServiceHandle> {
  const bin = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-redis-'));
  const port = await freePort();
  const logFile = join(dir, 'redis.log');
  const persistence = opts.persistence ?? true;
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--save', '',
    '--appendonly', persistence ? 'yes' : 'no',
    '--appendfsync', opts.appendfsync ?? 'everysec',
    '--logfile', '',
    ...(opts.args ?? []),
  ];
  const svc: ManagedService = new ManagedService({
    name: 'redis',
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    logFile,
    haltSignal: 'SIGTERM', // Redis flushes the AOF and exits
    haltGroup: false,
    spawn: () => new GroupProcess({ cmd: bin, args, cwd: dir, logFile }),
    waitReady: (proc): Promise<void> =>
      waitUntil('redis', () => redisPing(port), { timeoutMs: opts.startTimeoutMs ?? 20_000, intervalMs: 20, proc, logTail: (): string => svc.logTail() }),
  });
  return startOrDiscard(svc);
}
