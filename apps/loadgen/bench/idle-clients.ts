/**
 * One load-generator process of `npm run bench:idle` (forked by idle-fleet.ts): opens its share
 * of idle connections from one source address, keeps their heart-beats going and answers the
 * parent's questions over IPC. Its own files stay under the open-file limit (one per
 * connection), so 100,000 connections take several of these processes.
 *
 * Heart-beats go out from one timer for all connections, a tenth of them per tenth of the
 * period, so every connection beats once per period without 100,000 timers.
 * It exits when told, when the parent goes away, or at its own deadline.
 */
import { IdleConn } from '../client/idle-conn';

export interface IdleClientsArgs {
  url: string;
  localAddress: string;
  /** Users first … first+count-1; user n is in room ⌊n / roomSize⌋. */
  first: number;
  count: number;
  roomSize: number;
  destinationPrefix: string;
  heartBeatMs: number;
  concurrency: number;
  timeoutMs: number;
  deadlineMs: number;
}

/** enough: stop opening more (the parent's time for opening is up) and answer 'opened'. */
export type ToClients = { type: 'enough' } | { type: 'hold' } | { type: 'report' } | { type: 'close' };
export type FromClients =
  | { type: 'progress'; open: number; failed: number }
  | { type: 'opened'; open: number; failed: Record<string, number>; drops: Record<string, number>; portsSkipped: number; ms: number }
  | { type: 'report'; open: number; drops: Record<string, number>; late: number; missed: number; maxGapMs: number; beatsSent: number };

const args = JSON.parse(process.argv[2]) as IdleClientsArgs;
const send = (m: FromClients) => process.send?.(m);
const conns: IdleConn[] = [];
const failed: Record<string, number> = {};
const drops: Record<string, number> = {};
const bump = (into: Record<string, number>, k: string) => (into[k] = (into[k] ?? 0) + 1);
let open = 0;
let beatsSent = 0;
let enough = false;
/**
 * Source ports are chosen here, one after another from a random start, instead of by the
 * kernel (see IdleConn's localPort); below the usual ephemeral range (32768+), which other
 * clients on the machine draw from.
 */
const PORT_START = 1024 + Math.floor(Math.random() * 4000);
const PORT_END = 32768;
const PORT_TRIES = 1000;
let nextPort = PORT_START;
let portsSkipped = 0;

const exit = () => {
  for (const c of conns) c.close();
  setTimeout(() => process.exit(0), 200);
};
setTimeout(exit, args.deadlineMs).unref();
process.on('disconnect', exit);

const SLOTS = 10;
let slot = 0;
setInterval(() => {
  for (let i = slot; i < conns.length; i += SLOTS) conns[i].beat();
  beatsSent += Math.ceil(Math.max(0, conns.length - slot) / SLOTS);
  slot = (slot + 1) % SLOTS;
}, args.heartBeatMs / SLOTS);

async function openAll(): Promise<void> {
  const t0 = performance.now();
  let next = 0;
  const progress = setInterval(() => send({ type: 'progress', open, failed: Object.values(failed).reduce((a, b) => a + b, 0) }), 2_000);
  const lane = async () => {
    while (!enough && next < args.count) {
      const n = args.first + next++;
      const options = {
        url: args.url,
        localAddress: args.localAddress,
        login: `idle${n}`,
        destination: `${args.destinationPrefix}${Math.floor(n / args.roomSize)}`,
        heartBeatMs: args.heartBeatMs,
        timeoutMs: args.timeoutMs,
      };
      // A port something else holds on this address (a listener on 0.0.0.0): take the next one.
      for (let tries = 0; ; tries++) {
        const c = new IdleConn({ ...options, localPort: nextPort++ }, { onDrop: (kind) => (open--, bump(drops, kind)) });
        try {
          await c.open();
          conns.push(c);
          open++;
        } catch (e) {
          const kind = (e as Error).message;
          if (kind === 'error-EADDRINUSE' && tries < PORT_TRIES && nextPort < PORT_END) {
            portsSkipped++;
            continue;
          }
          bump(failed, kind);
        }
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, lane));
  clearInterval(progress);
  send({ type: 'opened', open, failed, drops: { ...drops }, portsSkipped, ms: performance.now() - t0 });
}

process.on('message', (m: ToClients) => {
  if (m.type === 'enough') enough = true;
  else if (m.type === 'hold') {
    const now = performance.now();
    for (const c of conns) c.resetGaps(now);
    for (const k of Object.keys(drops)) delete drops[k];
    beatsSent = 0;
  } else if (m.type === 'report') {
    const now = performance.now();
    let late = 0;
    let missed = 0;
    let maxGapMs = 0;
    for (const c of conns) {
      c.settleGap(now);
      late += c.late;
      missed += c.missed;
      maxGapMs = Math.max(maxGapMs, c.maxGapMs);
    }
    send({ type: 'report', open, drops, late, missed, maxGapMs, beatsSent });
  } else if (m.type === 'close') exit();
});

void openAll();
