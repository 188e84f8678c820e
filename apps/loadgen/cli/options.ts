/**
 * Command-line options of the load generator (`npm run load -- …`).
 * Parsing is pure (argv in, validated options out) so it is unit-tested; bad input
 * raises UsageError with a message naming the option.
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';

export const SCENARIOS = ['rooms', 'throughput', 'idle', 'churn'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface LoadOptions {
  scenario: Scenario;
  /** ws:// or wss:// URL of the STOMP endpoint. */
  url: string;
  /** CONNECT login/passcode; `{user}` is replaced by the user number. */
  login?: string;
  passcode?: string;
  /** A bearer token (same for every user), sent as `passcode` or as an Authorization header. */
  token?: string;
  tokenIn: 'passcode' | 'header';
  /** Mint one HS256 JWT per user (sub = login or `user{n}`) with this shared secret. */
  jwtSecret?: string;
  /** CONNECT `host` header (RabbitMQ: the vhost); omitted when unset, as Android does. */
  host?: string;
  acceptVersion: string;
  heartbeat: string;
  /** WebSocket subprotocols offered; empty = none (OkHttp's default). */
  subprotocols: string[];
  /** Destination template with `{room}`. */
  destination: string;
  /** Tag in room names and payloads so runs sharing a broker never mix. */
  runId: string;
  users: number;
  roomSize: number;
  sendersPerRoom: number;
  /** Messages per sender (rooms scenario). */
  messages: number;
  /** Pause between two SENDs of one sender. */
  intervalMs: number;
  /** With intervalMs: spread the senders' first SENDs over one interval instead of starting together. */
  stagger: boolean;
  /** Messages a sender keeps in flight (sent, own copy not yet back); 0 = no limit. */
  window: number;
  bodyBytes: number;
  /** Ask a RECEIPT for every SEND and measure its latency. */
  sendReceipts: boolean;
  /** Before the run, make every user a member of its room through the broker's REST API (needs jwtSecret). */
  join: boolean;
  /** New connections per second (0 = as fast as connectConcurrency allows). */
  rampPerSec: number;
  connectConcurrency: number;
  /** throughput: sending time; idle: hold time; churn: time budget. */
  durationMs: number;
  /** rooms: give up waiting for expected messages after this long without any traffic. */
  readTimeoutMs: number;
  /** throughput: after sending stops, give up on in-flight messages after this long without a delivery. */
  drainMs: number;
  /** Wait for CONNECTED or a RECEIPT (subscribe, SEND, churn) at most this long. */
  receiptTimeoutMs: number;
  /** churn: connect/subscribe/unsubscribe/disconnect cycles per user. */
  cycles: number;
  /** idle: also subscribe each connection to its room. */
  idleSubscribe: boolean;
  /** Hard limit on the whole run. */
  timeoutMs: number;
  /** Worker threads (0 = run in the main thread). */
  workers: number;
  /** Broker PID for CPU and RSS from /proc. */
  brokerPid?: number;
  json?: string;
  progress: 'auto' | 'bar' | 'lines' | 'none';
}

export class UsageError extends Error {}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

export const DEFAULTS: LoadOptions = {
  scenario: 'rooms',
  url: 'ws://127.0.0.1:8080/ws',
  tokenIn: 'passcode',
  acceptVersion: '1.2,1.1,1.0',
  heartbeat: '0,0',
  subprotocols: ['v12.stomp', 'v11.stomp', 'v10.stomp'],
  destination: '/topic/room.{room}',
  runId: '',
  users: 30,
  roomSize: 6,
  sendersPerRoom: 1,
  messages: 10,
  intervalMs: 0,
  stagger: false,
  window: 0,
  bodyBytes: 64,
  sendReceipts: false,
  join: false,
  rampPerSec: 0,
  connectConcurrency: 256,
  durationMs: 10_000,
  readTimeoutMs: 20_000,
  drainMs: 5_000,
  receiptTimeoutMs: 20_000,
  cycles: 5,
  idleSubscribe: false,
  timeoutMs: 300_000,
  workers: 1,
  progress: 'auto',
};

export const HELP = `Usage: npm run load -- [scenario] [options]

Scenarios:
  rooms        seed-003 plan: everyone subscribes (with receipt), then senders send;
               every member must get every message (default)
  throughput   sustained sending for --duration, --window messages in flight per sender
  idle         hold --users connections for --duration; broker RSS per connection (--broker-pid)
  churn        each user runs --cycles connect/subscribe/unsubscribe/disconnect cycles

Target:
  --url URL                 ws://host:port/path (default ${DEFAULTS.url})
  --login NAME              CONNECT login; {user} becomes the user number
  --passcode SECRET         CONNECT passcode; {user} as above
  --token JWT               bearer token for every user
  --token-in passcode|header  where the token goes (default passcode)
  --jwt-secret SECRET       mint one HS256 token per user (sub = login or user{n})
  --join                    before the run, create each room and add its users over the REST API as an
                            admin (a broker whose rooms need membership); needs --jwt-secret
  --host VHOST              CONNECT host header (omitted by default, like Android)
  --accept-version LIST     default ${DEFAULTS.acceptVersion}
  --heartbeat CX,CY         default ${DEFAULTS.heartbeat}
  --subprotocol LIST|none   offered subprotocols (default ${DEFAULTS.subprotocols.join(',')})
  --destination TEMPLATE    destination with {room} (default ${DEFAULTS.destination})
  --dest-prefix PREFIX      with --naming: PREFIX/room.{room} (dots) or PREFIX/room/{room} (slashes)
  --naming dots|slashes
  --run-id TAG              tag for room names and payloads (default: random)

Load shape:
  --users N                 connections (default ${DEFAULTS.users})
  --room-size N             members per room (default ${DEFAULTS.roomSize})
  --senders N               senders per room (default ${DEFAULTS.sendersPerRoom})
  --messages N              messages per sender, rooms scenario (default ${DEFAULTS.messages})
  --interval MS             pause between SENDs of one sender (default 0)
  --stagger                 with --interval: spread the senders' first SENDs over one interval
                            (an even open-loop rate instead of every sender at once each interval)
  --window N                in-flight messages per sender, 0 = unlimited (default: rooms 0, throughput 20)
  --body-bytes N            payload size (default ${DEFAULTS.bodyBytes})
  --send-receipts           ask a RECEIPT for every SEND and time it
  --ramp N                  new connections per second, 0 = unlimited (default 0)
  --connect-concurrency N   handshakes in progress at once (default ${DEFAULTS.connectConcurrency})
  --duration TIME           throughput send time / idle hold / churn budget (default 10s)
  --read-timeout TIME       rooms: give up after this long with no traffic (default 20s)
  --drain TIME              throughput: after stop, give up after this long with no delivery (default 5s)
  --receipt-timeout TIME    wait for CONNECTED or a RECEIPT (default 20s, the JMeter plans' readTimeout)
  --cycles N                churn cycles per user (default ${DEFAULTS.cycles})
  --idle-subscribe          idle: subscribe each connection too
  --timeout TIME            hard limit for the whole run (default 300s)
  --workers N               worker threads, 0 = main thread (default: cores-1)

Output:
  --broker-pid PID          read the broker's CPU and RSS from /proc/PID
  --json FILE               write the report as JSON
  --progress auto|bar|lines|none
  -h, --help

TIME accepts 250ms, 10s, 2m or plain milliseconds.`;

/** "250ms", "10s", "2m", "1.5s" or plain milliseconds. */
export function parseDuration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--${name}: not a duration: "${v}" (use 500ms, 10s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n);
}

function parseInt_(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${name}: not a whole number: "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is outside ${min}..${max}`);
  return n;
}

const STRING_OPTS = [
  'url', 'login', 'passcode', 'token', 'token-in', 'jwt-secret', 'host', 'accept-version', 'heartbeat',
  'subprotocol', 'destination', 'dest-prefix', 'naming', 'run-id', 'users', 'room-size', 'senders', 'messages',
  'interval', 'window', 'body-bytes', 'ramp', 'connect-concurrency', 'duration', 'read-timeout', 'drain',
  'receipt-timeout', 'cycles', 'timeout', 'workers', 'broker-pid', 'json', 'progress', 'scenario',
] as const;
const BOOL_OPTS = ['send-receipts', 'stagger', 'idle-subscribe', 'join', 'help'] as const;

/** Largest number of connections one run may open (a process may hold 20,000 files here). */
export const MAX_USERS = 200_000;

export type ParseResult = { help: true } | { help: false; options: LoadOptions };

export function parseLoadArgs(argv: string[], base: Partial<LoadOptions> = {}): ParseResult {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of STRING_OPTS) options[o] = { type: 'string' };
  for (const o of BOOL_OPTS) options[o] = { type: 'boolean' };
  options.help.short = 'h';
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return { help: true };
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

  const o: LoadOptions = { ...DEFAULTS, workers: defaultWorkers(), ...base };
  const scenario = s('scenario') ?? parsed.positionals[0];
  if (parsed.positionals.length > (s('scenario') ? 0 : 1)) {
    throw new UsageError(`unexpected argument: "${parsed.positionals[parsed.positionals.length - 1]}"`);
  }
  if (scenario !== undefined) {
    if (!(SCENARIOS as readonly string[]).includes(scenario)) {
      throw new UsageError(`unknown scenario "${scenario}" (one of ${SCENARIOS.join(', ')})`);
    }
    o.scenario = scenario as Scenario;
  }
  if (o.scenario === 'throughput' && base.window === undefined) o.window = 20;

  const url = s('url');
  if (url !== undefined) o.url = url;
  try {
    const u = new URL(o.url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error();
  } catch {
    throw new UsageError(`--url: not a ws:// or wss:// URL: "${o.url}"`);
  }
  for (const [flag, key] of [['login', 'login'], ['passcode', 'passcode'], ['token', 'token'], ['jwt-secret', 'jwtSecret'], ['host', 'host'], ['json', 'json']] as const) {
    const x = s(flag);
    if (x !== undefined) o[key] = x;
  }
  const tokenIn = s('token-in');
  if (tokenIn !== undefined) {
    if (tokenIn !== 'passcode' && tokenIn !== 'header') throw new UsageError(`--token-in: "${tokenIn}" (passcode or header)`);
    o.tokenIn = tokenIn;
  }
  if (o.token && o.jwtSecret) throw new UsageError('--token and --jwt-secret exclude each other');
  const av = s('accept-version');
  if (av !== undefined) {
    if (!/^1\.[012](,1\.[012])*$/.test(av)) throw new UsageError(`--accept-version: "${av}" (e.g. 1.2,1.1)`);
    o.acceptVersion = av;
  }
  const hb = s('heartbeat');
  if (hb !== undefined) {
    if (!/^\d+,\d+$/.test(hb)) throw new UsageError(`--heartbeat: "${hb}" (cx,cy in ms, e.g. 0,0)`);
    o.heartbeat = hb;
  }
  const sp = s('subprotocol');
  if (sp !== undefined) o.subprotocols = sp === 'none' || sp === '' ? [] : sp.split(',').map((x) => x.trim()).filter(Boolean);

  const dest = s('destination');
  const prefix = s('dest-prefix');
  const naming = s('naming');
  if (naming !== undefined && naming !== 'dots' && naming !== 'slashes') throw new UsageError(`--naming: "${naming}" (dots or slashes)`);
  if (dest !== undefined) {
    if (prefix !== undefined || naming !== undefined) throw new UsageError('--destination excludes --dest-prefix/--naming');
    o.destination = dest;
  } else if (prefix !== undefined || naming !== undefined) {
    const p = (prefix ?? '/topic').replace(/\/+$/, '');
    o.destination = naming === 'slashes' ? `${p}/room/{room}` : `${p}/room.{room}`;
  }
  if (!o.destination.includes('{room}')) throw new UsageError(`--destination must contain {room}: "${o.destination}"`);

  const runId = s('run-id');
  if (runId !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,24}$/.test(runId)) throw new UsageError(`--run-id: "${runId}" (letters, digits, _ and -, at most 24)`);
    o.runId = runId;
  }
  if (!o.runId) o.runId = Math.random().toString(36).slice(2, 8);

  const ints: Array<[string, keyof LoadOptions, number, number]> = [
    ['users', 'users', 1, MAX_USERS],
    ['room-size', 'roomSize', 1, 10_000],
    ['senders', 'sendersPerRoom', 0, 10_000],
    ['messages', 'messages', 0, 1_000_000],
    ['window', 'window', 0, 1_000_000],
    ['body-bytes', 'bodyBytes', 0, 4 * 1024 * 1024],
    ['ramp', 'rampPerSec', 0, 1_000_000],
    ['connect-concurrency', 'connectConcurrency', 1, 100_000],
    ['cycles', 'cycles', 1, 1_000_000],
    ['workers', 'workers', 0, 64],
    ['broker-pid', 'brokerPid', 1, 2 ** 31],
  ];
  for (const [flag, key, min, max] of ints) {
    const x = s(flag);
    if (x !== undefined) (o as unknown as Record<string, number>)[key] = parseInt_(flag, x, min, max);
  }
  const durs: Array<[string, keyof LoadOptions]> = [
    ['interval', 'intervalMs'],
    ['duration', 'durationMs'],
    ['read-timeout', 'readTimeoutMs'],
    ['drain', 'drainMs'],
    ['receipt-timeout', 'receiptTimeoutMs'],
    ['timeout', 'timeoutMs'],
  ];
  for (const [flag, key] of durs) {
    const x = s(flag);
    if (x !== undefined) (o as unknown as Record<string, number>)[key] = parseDuration(flag, x);
  }
  if (o.timeoutMs < 1000) throw new UsageError('--timeout must be at least 1s');
  if (o.sendersPerRoom > o.roomSize) throw new UsageError(`--senders (${o.sendersPerRoom}) cannot exceed --room-size (${o.roomSize})`);
  if (v['send-receipts']) o.sendReceipts = true;
  if (v.stagger) o.stagger = true;
  if (v.join) {
    if (!o.jwtSecret) throw new UsageError('--join creates memberships as an admin: it needs --jwt-secret');
    o.join = true;
  }
  if (v['idle-subscribe']) o.idleSubscribe = true;
  const progress = s('progress');
  if (progress !== undefined) {
    if (!['auto', 'bar', 'lines', 'none'].includes(progress)) throw new UsageError(`--progress: "${progress}" (auto, bar, lines or none)`);
    o.progress = progress as LoadOptions['progress'];
  }
  return { help: false, options: o };
}
