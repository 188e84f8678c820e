/**
 * `npm run bench:auth`: what authentication and authorisation cost, on loopback, against our
 * broker started as a child process:
 *   (a) bench:core's fan-out (300 rooms × 6, one sender each, 20 in flight) against a broker in
 *       development mode and against one with JWT_SECRET whose rooms need membership (every
 *       member seeded in its embedded database beforehand, so the first SEND of each sender
 *       is one lookup and every later one a cache hit), alternating over several rounds;
 *   (b) CONNECT rate: connections per second completing CONNECT with an HS256 token and with
 *       an RS256 token checked against a JWKS this process serves.
 * Options: --duration TIME (each (a) run, default 5s), --rounds N (default 3), --connects N
 * (per (b) run, default 2000), --workers N.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import WebSocket from 'ws';
import { defaultWorkers, parseDuration } from '../cli/options';
import { runLoad } from '../run/run-load';
import { planRooms } from '../run/plan';
import { roomName } from '../client/destinations';
import { WorkerPool } from '../run/worker-pool';
import { fmt, type LoadReport } from '../stats/report';
import { openPgliteStore, pgliteDataDir } from '../../shared/store/pglite-store';
import { developmentToken } from '../../shared/auth/development-token';
import { startBrokerChild, type ChildService } from './child';
import { machineLine } from './machine';
import { waitForQuiet } from './quiet';
import { median } from './median';
import { FANOUT_ARGS, loadOptions, WARMUP_ARGS } from './scenarios';
import { renderTable } from './table';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5s' },
    rounds: { type: 'string', default: '3' },
    connects: { type: 'string', default: '2000' },
    workers: { type: 'string' },
  },
});
const durationMs = parseDuration('duration', values.duration!);
const rounds = Math.max(1, Number(values.rounds));
const connects = Math.max(100, Number(values.connects));
const workers = values.workers ?? String(defaultWorkers());
const SECRET = 'bench-secret-of-at-least-32-bytes-0123456789';
/** Rooms are named `<run id>-<n>`: a fixed run id lets the memberships be seeded beforehand. */
const RUN_ID = 'bench';
const pool = new WorkerPool(Math.max(1, Number(workers)));

/** Every member of every room of the fan-out plan, as the load generator names them. */
async function seedMembers(dataDir: string): Promise<number> {
  const o = loadOptions(FANOUT_ARGS, []);
  const pairs = planRooms(o.users, o.roomSize, o.sendersPerRoom).flatMap((r) =>
    Array.from({ length: r.size }, (_, i) => ({ roomId: roomName(RUN_ID, r.room), userId: `user${r.firstUser + i}` })),
  );
  const store = await openPgliteStore({ dataDir: pgliteDataDir(dataDir) });
  try {
    return await store.addMembers(pairs);
  } finally {
    await store.close();
  }
}

async function load(args: string[], c: ChildService, extra: string[] = []): Promise<LoadReport> {
  await waitForQuiet(c.pid);
  const o = loadOptions(args, ['--workers', workers, '--progress', 'none', '--timeout', '240s', '--url', c.url, '--broker-pid', String(c.pid), ...extra]);
  return runLoad(o, { pool });
}

/** `n` connections, 100 at a time, each timed from WebSocket open to CONNECTED. */
async function connectRate(url: string, tokens: string[]): Promise<{ perSec: number; p99: number; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const sockets: WebSocket[] = [];
  let next = 0;
  const started = performance.now();
  const one = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      const ws = new WebSocket(url, ['v12.stomp']);
      sockets.push(ws);
      await new Promise<void>((resolve) => {
        let t0 = 0;
        ws.once('open', () => {
          t0 = performance.now();
          ws.send(`CONNECT\naccept-version:1.2\nhost:localhost\npasscode:${token}\n\n\0`);
        });
        ws.once('message', (d: Buffer) => {
          if (d.toString().startsWith('CONNECTED')) lat.push(performance.now() - t0);
          else errors++;
          resolve();
        });
        ws.once('error', () => {
          errors++;
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: 100 }, one));
  const perSec = (tokens.length * 1000) / (performance.now() - started);
  for (const ws of sockets) ws.terminate();
  lat.sort((a, b) => a - b);
  return { perSec, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN, errors };
}

async function serveJwks(jwk: object): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/jwks.json`, server };
}

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machineLine();
  const dir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
  const children: ChildService[] = [];
  try {
    process.stderr.write(`bench:auth on ${atStart}: seeding memberships…\n`);
    const seeded = await seedMembers(dir);
    const off = await startBrokerChild({});
    children.push(off);
    const on = await startBrokerChild({ JWT_SECRET: SECRET, DATA_DIR: dir, ROOM_ACCESS: 'members' });
    children.push(on);
    // The same tokens with rooms open: separates what verifying identity costs from the membership side.
    const jwtOnly = await startBrokerChild({ JWT_SECRET: SECRET, ROOM_ACCESS: 'open' });
    children.push(jwtOnly);
    const jwt = ['--jwt-secret', SECRET];
    await load(WARMUP_ARGS, off);
    await load(WARMUP_ARGS, on, jwt).catch(() => undefined); // warm-up rooms differ: refusals are fine here
    await load(WARMUP_ARGS, jwtOnly, jwt);
    const offs: LoadReport[] = [];
    const ons: LoadReport[] = [];
    const opens: LoadReport[] = [];
    const fanout = [...FANOUT_ARGS, '--duration', `${durationMs}ms`, '--run-id', RUN_ID];
    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`round ${i + 1}/${rounds}\n`);
      // Alternate the order so that neither side always runs second.
      if (i % 2 === 0) {
        offs.push(await load(fanout, off));
        ons.push(await load(fanout, on, jwt));
      } else {
        ons.push(await load(fanout, on, jwt));
        offs.push(await load(fanout, off));
      }
      opens.push(await load(fanout, jwtOnly, jwt));
    }
    await off.stop();
    await on.stop();
    await jwtOnly.stop();

    // (b) CONNECT rate, HS256 then RS256 (keys from a JWKS served here).
    const hs = await startBrokerChild({ JWT_SECRET: SECRET, ROOM_ACCESS: 'open' });
    children.push(hs);
    const hsTokens = await Promise.all(Array.from({ length: connects }, (_, i) => developmentToken(`u${i}`, { secret: SECRET })));
    const hsRate = await connectRate(hs.url, hsTokens);
    await hs.stop();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
    const jwks = await serveJwks(jwk);
    const rs = await startBrokerChild({ JWT_JWKS_URL: jwks.url, ROOM_ACCESS: 'open' });
    children.push(rs);
    const rsTokens = await Promise.all(Array.from({ length: connects }, (_, i) => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'bench' }).setSubject(`u${i}`).setExpirationTime('1h').sign(privateKey)));
    const rsRate = await connectRate(rs.url, rsTokens);
    await rs.stop();
    jwks.server.close();

    const perSec = (r: LoadReport) => r.deliveries.perSec;
    const ratios = ons.map((r, i) => perSec(r) / perSec(offs[i]));
    const p99Ratios = ons.map((r, i) => r.latencyMs.p99 / offs[i].latencyMs.p99);
    const errs = (xs: LoadReport[]) => xs.reduce((a, r) => a + r.errorTotal + r.deliveries.lost, 0);
    const rows = [
      ['(a) fan-out, development mode', `${fmt(median(offs.map(perSec)), 0)} deliveries/s`, `${fmt(median(offs.map((r) => r.latencyMs.p99)), 1)} ms`, `${fmt(median(offs.map((r) => r.cpu.brokerUsPerDelivery ?? NaN)), 2)} µs/del`, String(errs(offs))],
      ['(a) fan-out, JWT + room membership', `${fmt(median(ons.map(perSec)), 0)} deliveries/s`, `${fmt(median(ons.map((r) => r.latencyMs.p99)), 1)} ms`, `${fmt(median(ons.map((r) => r.cpu.brokerUsPerDelivery ?? NaN)), 2)} µs/del`, String(errs(ons))],
      ['(a) fan-out, JWT, rooms open', `${fmt(median(opens.map(perSec)), 0)} deliveries/s`, `${fmt(median(opens.map((r) => r.latencyMs.p99)), 1)} ms`, `${fmt(median(opens.map((r) => r.cpu.brokerUsPerDelivery ?? NaN)), 2)} µs/del`, String(errs(opens))],
      ['    on / off', `${fmt(median(ratios), 3)}`, `${fmt(median(p99Ratios), 3)}`, '', ''],
      [`(b) CONNECT with HS256, ${fmt(connects)} connections`, `${fmt(hsRate.perSec, 0)} connections/s`, `${fmt(hsRate.p99, 1)} ms`, '', String(hsRate.errors)],
      [`(b) CONNECT with RS256 (JWKS), ${fmt(connects)} connections`, `${fmt(rsRate.perSec, 0)} connections/s`, `${fmt(rsRate.p99, 1)} ms`, '', String(rsRate.errors)],
    ];
    process.stdout.write(
      [
        '',
        `bench:auth — ${atStart}; at the end: load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s; ${fmt(seeded)} memberships seeded`,
        renderTable(['part', 'result', 'p99 (SEND→MESSAGE / CONNECT)', 'broker CPU', 'errors + lost'], rows),
        ...[...offs, ...ons, ...opens].filter((r) => r.errorTotal > 0).map((r) => `errors: ${JSON.stringify(r.errors).slice(0, 400)}`),
        `(a) per round, deliveries/s off: ${offs.map((r) => fmt(perSec(r), 0)).join(', ')}; on: ${ons.map((r) => fmt(perSec(r), 0)).join(', ')}; on/off ${ratios.map((x) => fmt(x, 3)).join(', ')}. Goal: within 5% (ratio ≥ 0.95).`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  async () => {
    await pool.close();
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(`bench:auth failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
