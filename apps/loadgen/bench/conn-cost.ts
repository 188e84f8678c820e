/**
 * What an idle connection costs one broker process: memory added per connection and broker CPU
 * per heart-beat pair (one in, one out). Not a test; run it by hand:
 *
 *   npm run bench:conn -- [--n 10000] [--hb 10000] [--cpu-secs 30] [--runs 3] [--snapshot] [--repo DIR]
 *
 * The broker is a child (`node --import tsx apps/broker/main.ts`, embedded default, from --repo:
 * another checkout to compare with), so its CPU and RSS are its own. N connections open as
 * bench:idle's do (raw ws; CONNECT with heart-beat hb,hb; one SUBSCRIBE with a receipt to a room
 * of 100) and beat every hb ms from one timer here. Memory is read after two full GCs in the
 * broker (conn-cost-probe.mjs), at 0 connections and at N: RSS and V8 heap used, per connection.
 * Then broker CPU (utime + stime from /proc) over --cpu-secs, divided by heart-beat pairs. With
 * --snapshot, heap snapshots at 0 and N give self size per connection by constructor (a snapshot
 * inflates RSS: take RSS figures from runs without it). Prints medians over --runs as JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { sampleProc } from '../run/proc-stats';
import { portOpen } from '../../shared/port-open';
import { sleep } from '../../shared/sleep';
import { freePort } from '../../shared/testing/services/ports';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    hb: { type: 'string', default: '10000' },
    'cpu-secs': { type: 'string', default: '30' },
    runs: { type: 'string', default: '1' },
    snapshot: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '64' },
    repo: { type: 'string', default: fileURLToPath(new URL('../../../', import.meta.url)) },
  },
});
const N = Number(values.n);
const HB = Number(values.hb);
const DIR = mkdtempSync(join(os.tmpdir(), 'conn-cost-'));
const PROBE = fileURLToPath(new URL('./conn-cost-probe.mjs', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const enc = (command: string, headers: Record<string, string>) => `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('')}\n\0`;

interface Broker {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

async function startBroker(): Promise<Broker> {
  const port = await freePort();
  // `ulimit -n <hard>` then exec: the PID is node itself.
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, '--expose-gc', '--import', PROBE, '--import', 'tsx', 'apps/broker/main.ts'], {
    cwd: values.repo,
    env: { ...process.env, LOG_LEVEL: 'error', PORT: String(port), HEARTBEAT_SERVER_SEND_MS: String(HB), HEARTBEAT_SERVER_RECV_MS: String(HB), MAX_CONNECTIONS: String(N + 1000), CONN_COST_DIR: DIR, CONN_COST_SNAPSHOT: values.snapshot ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const until = Date.now() + 60_000;
  while (!(await portOpen(port))) {
    if (Date.now() > until || child.exitCode !== null) throw new Error('the broker did not start');
    await sleep(100);
  }
  return { pid: child.pid!, url: `ws://127.0.0.1:${port}/ws`, stop: async () => (kill(), exited) };
}

interface Probe {
  rss: number;
  heapUsed: number;
  snapshot: string | null;
}

/** Two full GCs in the broker, then its memory (and a snapshot with --snapshot). */
async function probe(b: Broker): Promise<Probe> {
  const before = new Set(readdirSync(DIR));
  process.kill(b.pid, 'SIGUSR2');
  for (let i = 0; i < 2400; i++) {
    await sleep(250);
    const fresh = readdirSync(DIR).find((f) => !before.has(f) && f.startsWith(`probe-${b.pid}-`) && f.endsWith('.json'));
    if (fresh) {
      await sleep(100);
      const p = JSON.parse(readFileSync(join(DIR, fresh), 'utf8')) as Probe;
      unlinkSync(join(DIR, fresh));
      return p;
    }
  }
  throw new Error('the broker did not answer the probe');
}

class Client {
  ws!: WebSocket;
  ok = false;
  constructor(private readonly beatsIn: { n: number }) {}
  open(url: string, i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // one source address has ~28,000 ports towards one server address
      const ws = new WebSocket(url, ['v12.stomp'], { perMessageDeflate: false, skipUTF8Validation: true, localAddress: `127.0.0.${2 + Math.floor(i / 25_000)}` });
      this.ws = ws;
      const t = setTimeout(() => reject(new Error('timeout')), 60_000);
      ws.on('error', reject);
      ws.on('close', () => this.ok || reject(new Error('closed')));
      ws.on('open', () => ws.send(enc('CONNECT', { 'accept-version': '1.2', host: '127.0.0.1', login: `u${i}`, 'heart-beat': `${HB},${HB}` })));
      ws.on('message', (d: Buffer) => {
        if (this.ok) {
          if (d.length > 0 && (d[0] === 0x0a || d[0] === 0x0d)) this.beatsIn.n++;
          return;
        }
        const head = d.toString('latin1', 0, 10);
        if (head.startsWith('CONNECTED')) ws.send(enc('SUBSCRIBE', { id: 's', destination: `/topic/room.idle-${Math.floor(i / 100)}`, ack: 'auto', receipt: 'r' }));
        else if (head.startsWith('RECEIPT')) {
          clearTimeout(t);
          this.ok = true;
          resolve();
        } else if (d.length > 0 && d[0] !== 0x0a) reject(new Error(head));
      });
    });
  }
}

/** Client heart-beats from one timer: a tenth of the connections each tenth of the period. */
function beater(cs: Client[]): { stop(): void; sent(): number } {
  let sent = 0;
  let slice = 0;
  const timer = setInterval(() => {
    for (let i = slice; i < cs.length; i += 10) {
      if (cs[i].ok && cs[i].ws.readyState === WebSocket.OPEN) {
        cs[i].ws.send('\n');
        sent++;
      }
    }
    slice = (slice + 1) % 10;
  }, HB / 10);
  return { stop: () => clearInterval(timer), sent: () => sent };
}

/** Self size summed by node type and name. */
function bySelfSize(path: string): Map<string, number> {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const f: string[] = snap.snapshot.meta.node_fields;
  const [iType, iName, iSize, width] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const types: string[] = snap.snapshot.meta.node_types[0];
  const out = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = type === 'object' || type === 'closure' || type === 'synthetic' ? String(snap.strings[snap.nodes[i + iName]]).slice(0, 50) : '';
    const k = `${type}${name ? ` ${name}` : ''}`;
    out.set(k, (out.get(k) ?? 0) + snap.nodes[i + iSize]);
  }
  return out;
}

interface Run {
  rssKiB: number;
  heapKiB: number;
  startRssMiB: number;
  usPerBeatPair: number;
}

async function run(): Promise<Run> {
  const b = await startBroker();
  try {
    const warm: Client[] = [];
    for (let i = 0; i < 50; i++) warm.push(new Client({ n: 0 }));
    await Promise.all(warm.map((c, i) => c.open(b.url, N + i))); // load lazily loaded code first
    for (const c of warm) c.ws.terminate();
    await sleep(3000);
    const p0 = await probe(b);
    await sleep(1000);
    const rss0 = sampleProc(b.pid)!.rssKiB;
    const cs: Client[] = [];
    const beatsIn = { n: 0 };
    const beats = beater(cs);
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Number(values.concurrency) }, async () => {
        while (next < N) {
          const c = new Client(beatsIn);
          await c.open(b.url, next++);
          cs.push(c);
        }
      }),
    );
    log(`${N} connections open in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(5000);
    const p1 = await probe(b);
    await sleep(1000);
    const rss1 = sampleProc(b.pid)!.rssKiB;
    const c0 = sampleProc(b.pid)!.cpuMs;
    const [in0, out0] = [beatsIn.n, beats.sent()];
    await sleep(Number(values['cpu-secs']) * 1000);
    const c1 = sampleProc(b.pid)!.cpuMs;
    const pairs = (beatsIn.n - in0 + beats.sent() - out0) / 2;
    const open = cs.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
    beats.stop();
    for (const c of cs) c.ws.terminate();
    const r: Run = {
      rssKiB: (rss1 - rss0) / N,
      heapKiB: (p1.heapUsed - p0.heapUsed) / 1024 / N,
      startRssMiB: rss0 / 1024,
      usPerBeatPair: ((c1 - c0) * 1000) / pairs,
    };
    log(
      `RSS ${r.startRssMiB.toFixed(1)} MiB at 0 → +${r.rssKiB.toFixed(2)} KiB per connection${values.snapshot ? ' (inflated by the snapshot)' : ''}; heap used +${r.heapKiB.toFixed(2)} KiB per connection; ` +
        `${(c1 - c0).toFixed(0)} ms broker CPU for ${pairs.toFixed(0)} heart-beat pairs → ${r.usPerBeatPair.toFixed(1)} µs per pair; ${open}/${N} still open; load ${os.loadavg()[0].toFixed(2)}`,
    );
    if (p0.snapshot && p1.snapshot) {
      const [a, z] = [bySelfSize(p0.snapshot), bySelfSize(p1.snapshot)];
      const rows = [...z].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / N] as const).sort((x, y) => y[1] - x[1]);
      log(`heap self size added per connection, by node (total ${rows.reduce((s, [, v]) => s + v, 0).toFixed(0)} B):`);
      for (const [k, v] of rows.slice(0, 25)) log(`  ${v.toFixed(0).padStart(6)} B  ${k}`);
      for (const p of [p0.snapshot, p1.snapshot]) unlinkSync(p);
    }
    return r;
  } finally {
    await b.stop();
  }
}

const runs: Run[] = [];
for (let i = 0; i < Number(values.runs); i++) runs.push(await run());
rmSync(DIR, { recursive: true, force: true });
const med = (k: keyof Run) => Number(median(runs.map((r) => r[k])).toFixed(2));
console.log(JSON.stringify({ n: N, heartBeatMs: HB, runs: runs.length, load: os.loadavg().map((x) => Number(x.toFixed(2))), rssKiBPerConnection: med('rssKiB'), heapKiBPerConnection: med('heapKiB'), startRssMiB: med('startRssMiB'), usPerHeartbeatPair: med('usPerBeatPair') }));
process.exit(0);
