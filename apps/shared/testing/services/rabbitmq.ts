/**
 * A real RabbitMQ for tests, from Debian's package, without touching the system one: every
 * RABBITMQ_* location (mnesia, logs, config, enabled-plugins file, plugin expansion dir, pid
 * file) points into a temp dir; AMQP, Erlang distribution (and STOMP / Web-STOMP / management
 * when asked) listen on free ports on 127.0.0.1; HOME is the temp dir (own Erlang cookie).
 *
 * epmd: Erlang registers node names with epmd (port 4369, shared by the host). Each instance
 * runs its own epmd on a free port as a child (ERL_EPMD_PORT), so nodenames cannot clash, no
 * daemon outlives the test, and a system RabbitMQ is never disturbed.
 *
 * Start time (measured on this 2-core machine): ~4.5-5 s for a fresh node when the machine is
 * idle, ~6-10 s (up to ~13 s) while other suites load both cores; a restart on the same data dir
 * costs about the same, kill -9 + start slightly less. Compare Postgres ~0.3-1 s (cluster copied
 * from a template) and Redis ~0.1 s. Where RabbitMQ's time goes: ~0.7 s Erlang VM boot, ~1.5 s
 * prelaunch (config schema), ~1.8 s Mnesia schema check, the rest boot steps. No plugins are
 * enabled unless asked (each adds ~0.5-1 s; management more). Feeding the config as Erlang
 * arguments instead of rabbitmq.conf made no measurable difference. The start script's
 * +sbwt none flags stay, so an idle broker does not spin on the shared cores.
 * Caveat seen here with 3.10.8: a quorum queue declared on a fresh node that is then killed
 * (kill()) before it ever shut down cleanly came back unusable (basic.get timed out for 4+
 * minutes; two Ra server dirs for one queue). After one graceful restart()/halt(), kill -9 and
 * start recover normally. Fault tests should kill RabbitMQ only after such a restart.
 * TEST_AMQP_URL names an existing server instead.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rabbitBinaries } from './binaries';
import { freePorts, retryOnPortClash } from './ports';
import { GroupProcess, waitUntil } from './process-group';
import { ManagedService, startOrDiscard } from './managed-service';
import { ExternalServiceError, type ServiceHandle } from './service-handle';
import { portOpen } from '../../port-open';

export type RabbitPlugin = 'rabbitmq_stomp' | 'rabbitmq_web_stomp' | 'rabbitmq_management';

export interface RabbitOptions {
  plugins?: RabbitPlugin[];
  /** Extra lines for rabbitmq.conf (new-style sysctl format). */
  config?: string[];
  startTimeoutMs?: number;
}

export interface RabbitHandle extends ServiceHandle {
  /** Plain STOMP listener (rabbitmq_stomp), when enabled. */
  readonly stompPort?: number;
  /** ws://127.0.0.1:port/ws (rabbitmq_web_stomp), when enabled. */
  readonly webStompUrl?: string;
  /** http://127.0.0.1:port (rabbitmq_management), when enabled; user guest/guest. */
  readonly managementUrl?: string;
}

/** Open a socket and send the AMQP 0-9-1 protocol header: ready once Connection.Start comes back. */
export function amqpAnswers(port: number, host = '127.0.0.1', timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])));
    // Frame type 1 (method) on channel 0 = Connection.Start.
    sock.on('data', (d) => done(d[0] === 1));
    sock.on('error', () => done(false));
  });
}

export async function startRabbitMQ(opts: RabbitOptions = {}): Promise<RabbitHandle> {
  const external = process.env.TEST_AMQP_URL;
  if (external) {
    const u = new URL(external);
    const refuse = (op: string) => async () => {
      throw new ExternalServiceError('rabbitmq', op);
    };
    return {
      name: 'rabbitmq', url: external, port: Number(u.port || 5672), external: true, pid: null, startMs: 0,
      start: async () => {}, halt: refuse('halt'), kill: refuse('kill'), restart: refuse('restart'), stop: async () => {},
    };
  }
  return retryOnPortClash(() => startOwnRabbitMQ(opts));
}

async function startOwnRabbitMQ(opts: RabbitOptions): Promise<RabbitHandle> {
  const bins = rabbitBinaries();
  const plugins = opts.plugins ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-rabbit-'));
  const [amqpPort, distPort, epmdPort, stompPort, webStompPort, mgmtPort] = await freePorts(6);
  const nodename = `stompbox_${randomBytes(3).toString('hex')}@localhost`;
  const logFile = join(dir, 'rabbitmq.out');
  const epmdLog = join(dir, 'epmd.log');
  mkdirSync(join(dir, 'log'));

  writeFileSync(join(dir, 'enabled_plugins'), `[${plugins.join(',')}].\n`);
  const conf = [
    `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
    'log.console = false',
    'log.file.level = info',
    // Tests fill disks and memory less than the defaults assume; never block publishers for it.
    'disk_free_limit.absolute = 1MB',
    ...(plugins.includes('rabbitmq_stomp') ? [`stomp.listeners.tcp.1 = 127.0.0.1:${stompPort}`] : []),
    ...(plugins.includes('rabbitmq_web_stomp') ? [`web_stomp.tcp.port = ${webStompPort}`, 'web_stomp.tcp.ip = 127.0.0.1'] : []),
    ...(plugins.includes('rabbitmq_management') ? [`management.tcp.port = ${mgmtPort}`, 'management.tcp.ip = 127.0.0.1'] : []),
    ...(opts.config ?? []),
  ];
  writeFileSync(join(dir, 'rabbitmq.conf'), conf.join('\n') + '\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '# intentionally empty: ignore /etc/rabbitmq/rabbitmq-env.conf\n');

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // Distribution only on loopback.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };

  // The private epmd lives as long as the handle (restarts reuse it).
  const epmd = new GroupProcess({ cmd: bins.epmd, args: ['-port', String(epmdPort), '-address', '127.0.0.1'], logFile: epmdLog, env });

  const svc: ManagedService = new ManagedService({
    name: 'rabbitmq',
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    port: amqpPort,
    dir,
    logFile,
    // The start script traps TERM and forwards it to the VM, which shuts RabbitMQ down cleanly.
    haltSignal: 'SIGTERM',
    haltGroup: false,
    spawn: () => new GroupProcess({ cmd: bins.server, args: [], env, cwd: dir, logFile }),
    waitReady: async (proc) => {
      const logTail = () => `${svc.logTail(2000)}\n--- log dir ${join(dir, 'log')}`;
      const timeoutMs = opts.startTimeoutMs ?? 60_000;
      await waitUntil('rabbitmq', () => amqpAnswers(amqpPort), { timeoutMs, intervalMs: 100, proc, logTail });
      // Plugin listeners start after the AMQP one.
      if (plugins.includes('rabbitmq_stomp')) await waitUntil('rabbitmq stomp', () => portOpen(stompPort), { timeoutMs, proc, logTail });
      if (plugins.includes('rabbitmq_web_stomp')) await waitUntil('rabbitmq web-stomp', () => portOpen(webStompPort), { timeoutMs, proc, logTail });
      if (plugins.includes('rabbitmq_management')) await waitUntil('rabbitmq management', () => portOpen(mgmtPort), { timeoutMs, proc, logTail });
    },
    onStop: () => epmd.terminate('SIGTERM', 5_000),
  });
  await startOrDiscard(svc);
  return Object.assign(svc, {
    stompPort: plugins.includes('rabbitmq_stomp') ? stompPort : undefined,
    webStompUrl: plugins.includes('rabbitmq_web_stomp') ? `ws://127.0.0.1:${webStompPort}/ws` : undefined,
    managementUrl: plugins.includes('rabbitmq_management') ? `http://127.0.0.1:${mgmtPort}` : undefined,
  });
}

