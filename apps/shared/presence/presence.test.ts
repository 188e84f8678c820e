/**
 * Presence: one contract run against Redis (a real redis-server from the harness) and the
 * in-process twin (instances sharing a board stand for processes sharing Redis), then what
 * only Redis has: a real process killed with -9, Redis down and back, a key lost under it.
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { PROJECT_ROOT } from '../project-root';
import { sleep } from '../sleep';
import { startRedis, type ServiceHandle } from '../testing/services/index';
import { MemoryPresence, PresenceBoard } from './memory-presence';
import type { Presence, PresenceChange } from './presence';
import { openPresence } from './open-presence';
import { RedisPresence } from './redis-presence';

const REFRESH_MS = 50;
const EXPIRY_MS = 300;

let redis: ServiceHandle;
beforeAll(async () => {
  redis = await startRedis({ persistence: false });
});
afterAll(async () => {
  await redis?.stop();
});

type Instance = Presence & { abandon(): void };
interface Opts {
  maxUsers?: number;
  registry?: Registry;
}

let n = 0;
/** A factory per test: its instances share one store, like processes sharing one Redis. */
const kinds: Record<string, () => (o?: Opts) => Instance> = {
  memory: () => {
    const board = new PresenceBoard();
    return (o = {}) => new MemoryPresence({ refreshMs: REFRESH_MS, expiryMs: EXPIRY_MS, board, ...o });
  },
  redis: () => {
    const keyPrefix = `presence${++n}:`;
    return (o = {}) => new RedisPresence({ url: redis.url, keyPrefix, refreshMs: REFRESH_MS, expiryMs: EXPIRY_MS, flushMs: 5, ...o });
  },
};

const opened: Instance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

/** Polls `check` until true; resolves with the milliseconds it took, fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3_000): Promise<number> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(5);
  }
  return performance.now() - t0;
}

const sorted = (s: Set<string>) => [...s].sort();
const metric = async (r: Registry, name: string) => (await r.getSingleMetric(name)!.get()).values.reduce((a, v) => a + v.value, 0);

for (const [kind, factory] of Object.entries(kinds)) {
  describe(`Presence (${kind})`, () => {
    let make: (o?: Opts) => Instance;
    const open = async (o?: Opts) => {
      const p = make(o);
      opened.push(p);
      await p.start();
      return p;
    };
    beforeEach(() => {
      make = factory(); // a fresh store (board or key prefix) per test
    });

    it('counts connections per user: online with the first, offline with the last', async () => {
      const early = make();
      opened.push(early);
      early.connected('ann', 'c0'); // before start: reported by start
      await early.start();
      const p = await open();
      p.connected('bob', 'c1');
      p.connected('bob', 'c2');
      p.connected('cid', 'c3');
      await eventually(async () => sorted(await p.onlineAmong(['ann', 'bob', 'cid', 'dan'])).join() === 'ann,bob,cid');
      p.disconnected('bob', 'c1');
      await sleep(REFRESH_MS);
      expect(sorted(await p.onlineAmong(['bob']))).toEqual(['bob']); // c2 still open
      p.disconnected('bob', 'c2');
      p.disconnected('nobody', 'c9'); // unmatched: ignored
      await eventually(async () => (await p.onlineAmong(['bob'])).size === 0);
      expect(sorted(await p.onlineAmong(['ann', 'bob', 'cid', 'ann']))).toEqual(['ann', 'cid']);
      expect(await p.onlineAmong([])).toEqual(new Set());
    });

    it("lets another process see this one's users, and forgets them at once on close", async () => {
      const a = await open();
      const b = await open();
      a.connected('x', 'c1');
      b.connected('y', 'c2');
      await eventually(async () => sorted(await b.onlineAmong(['x', 'y'])).join() === 'x,y');
      expect(sorted(await a.onlineAmong(['x', 'y']))).toEqual(['x', 'y']);
      await a.close();
      expect(sorted(await b.onlineAmong(['x', 'y']))).toEqual(['y']);
    });

    it('drops a process that stops refreshing within the expiry, not at once', async () => {
      const a = await open();
      const b = await open();
      a.connected('gone', 'c1');
      await eventually(async () => (await b.onlineAmong(['gone'])).has('gone'));
      a.abandon(); // timers stopped, nothing removed: a kill -9
      const t0 = performance.now();
      expect((await b.onlineAmong(['gone'])).has('gone')).toBe(true);
      await eventually(async () => !(await b.onlineAmong(['gone'])).has('gone'), EXPIRY_MS * 3);
      const took = performance.now() - t0;
      expect(took).toBeLessThanOrEqual(EXPIRY_MS + 250); // slack for a loaded machine
      expect(took).toBeGreaterThanOrEqual(EXPIRY_MS - REFRESH_MS - 50);
    });

    it('tells listeners of transitions in batches, once other processes can see them', async () => {
      const a = await open();
      const b = await open();
      const heard: Array<{ changes: PresenceChange[]; seenByB: Promise<Set<string>> }> = [];
      a.onChange((changes) => heard.push({ changes: [...changes], seenByB: b.onlineAmong(['u1', 'u2']) }));
      a.connected('u1', 'c1');
      a.connected('u1', 'c2'); // not a transition
      a.connected('u2', 'c3');
      a.disconnected('u2', 'c3'); // in and out within one batch: nothing to tell
      await eventually(() => heard.length === 1);
      expect(heard[0].changes).toEqual([{ userId: 'u1', online: true }]);
      expect(sorted(await heard[0].seenByB)).toEqual(['u1']);
      a.disconnected('u1', 'c1');
      a.disconnected('u1', 'c2');
      await eventually(() => heard.length === 2);
      expect(heard[1].changes).toEqual([{ userId: 'u1', online: false }]);
      expect(sorted(await heard[1].seenByB)).toEqual([]);
      await sleep(REFRESH_MS * 2);
      expect(heard.length).toBe(2); // refreshes announce nothing
    });

    it('tracks at most maxUsers users, counting the connections it leaves out', async () => {
      const registry = new Registry();
      const p = await open({ maxUsers: 2, registry });
      p.connected('a', '1');
      p.connected('b', '2');
      p.connected('c', '3');
      p.connected('a', '4'); // a known user's further connection is still counted
      await eventually(async () => sorted(await p.onlineAmong(['a', 'b', 'c'])).join() === 'a,b');
      expect(await metric(registry, 'stompbox_presence_untracked_total')).toBe(1);
      expect(await metric(registry, 'stompbox_presence_users')).toBe(2);
      p.disconnected('c', '3');
      p.disconnected('b', '2');
      p.connected('c', '5'); // room again
      await eventually(async () => sorted(await p.onlineAmong(['a', 'b', 'c'])).join() === 'a,c');
      await p.close();
      expect(await metric(registry, 'stompbox_presence_users')).toBe(0);
    });

    it('answers for many users at once', async () => {
      const a = await open();
      const b = await open();
      const users = Array.from({ length: 3_000 }, (_, i) => `user-${i}`);
      users.forEach((u, i) => (i % 2 ? a : b).connected(u, `c${i}`));
      const asked = users.concat(Array.from({ length: 1_000 }, (_, i) => `stranger-${i}`));
      await eventually(async () => (await a.onlineAmong(asked)).size === users.length);
      const t0 = performance.now();
      const found = await b.onlineAmong(asked);
      console.log(`presence (${kind}): onlineAmong of ${asked.length} ids over 2 processes took ${(performance.now() - t0).toFixed(1)} ms`);
      expect(found).toEqual(new Set(users));
    });
  });
}

describe('RedisPresence', () => {
  it('drops a process killed with -9 within the expiry', async () => {
    const keyPrefix = `kill${++n}:`;
    const expiryMs = 1_000;
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/shared/presence/presence-child.fixture.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, REDIS_URL: redis.url, PRESENCE_KEY_PREFIX: keyPrefix, PRESENCE_REFRESH_MS: '100', PRESENCE_EXPIRY_MS: String(expiryMs), PRESENCE_USER: 'child' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
      const watcher = new RedisPresence({ url: redis.url, keyPrefix, refreshMs: 100, expiryMs });
      opened.push(watcher);
      await watcher.start();
      expect((await watcher.onlineAmong(['child'])).has('child')).toBe(true);
      await sleep(300); // a few refreshes: the child keeps itself alive
      expect((await watcher.onlineAmong(['child'])).has('child')).toBe(true);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGKILL');
      await exited;
      const t0 = performance.now();
      expect((await watcher.onlineAmong(['child'])).has('child')).toBe(true); // nothing cleaned up
      await eventually(async () => !(await watcher.onlineAmong(['child'])).has('child'), expiryMs * 3);
      const took = performance.now() - t0;
      console.log(`presence: a process killed with -9 dropped out after ${took.toFixed(0)} ms (expiry ${expiryMs} ms)`);
      expect(took).toBeLessThanOrEqual(expiryMs + 300);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }
  });

  it('rewrites its users when the hash is lost under it (FLUSHDB)', async () => {
    const registry = new Registry();
    const p = new RedisPresence({ url: redis.url, keyPrefix: `flush${++n}:`, refreshMs: REFRESH_MS, expiryMs: EXPIRY_MS, flushMs: 5, registry });
    opened.push(p);
    await p.start();
    p.connected('kept', 'c1');
    await eventually(async () => (await p.onlineAmong(['kept'])).has('kept'));
    const admin = new Redis(redis.url);
    try {
      await admin.flushdb();
    } finally {
      admin.disconnect();
    }
    expect((await p.onlineAmong(['kept'])).has('kept')).toBe(false);
    const took = await eventually(async () => (await p.onlineAmong(['kept'])).has('kept'), EXPIRY_MS * 3);
    expect(took).toBeLessThanOrEqual(REFRESH_MS * 2 + 250); // at the next refresh, not never
    expect(await metric(registry, 'stompbox_presence_full_syncs_total')).toBeGreaterThanOrEqual(2);
  });

  describe('with Redis down and back', () => {
    let own: ServiceHandle;
    beforeAll(async () => {
      own = await startRedis({ persistence: false });
    });
    afterAll(async () => {
      await own?.stop();
    });

    it('never throws on connect, rejects queries (unknown is not offline), and rewrites everything once back', async () => {
      if (own.external) return; // cannot stop a server named by TEST_REDIS_URL
      const registry = new Registry();
      const p = new RedisPresence({ url: own.url, refreshMs: REFRESH_MS, expiryMs: EXPIRY_MS, flushMs: 5, timeoutMs: 300, registry });
      opened.push(p);
      await p.start();
      p.connected('before', 'c1');
      await eventually(async () => (await p.onlineAmong(['before'])).has('before'));
      await own.kill();
      expect(() => {
        for (let i = 0; i < 1_000; i++) p.connected(`during-${i}`, `c${i}`);
        p.disconnected('during-0', 'c0');
      }).not.toThrow();
      const t0 = performance.now();
      await expect(p.onlineAmong(['before'])).rejects.toThrow();
      console.log(`presence: a query with Redis down rejected after ${(performance.now() - t0).toFixed(0)} ms`);
      await eventually(async () => (await metric(registry, 'stompbox_presence_refresh_failures_total')) > 0);
      await own.start(); // empty: persistence off
      const took = await eventually(async () => (await p.onlineAmong(['before', 'during-0', 'during-1', 'during-999']).catch(() => new Set())).size === 3, 10_000);
      console.log(`presence: all users back in Redis ${took.toFixed(0)} ms after it restarted`);
      expect(sorted(await p.onlineAmong(['before', 'during-0', 'during-1']))).toEqual(['before', 'during-1']);
    });

    it('refuses to start while Redis cannot be reached', async () => {
      const p = new RedisPresence({ url: 'redis://127.0.0.1:1', refreshMs: REFRESH_MS, expiryMs: EXPIRY_MS });
      await expect(p.start()).rejects.toThrow();
      await p.close();
    });
  });

  it('wants an expiry longer than the refresh period', () => {
    expect(() => new RedisPresence({ url: redis.url, refreshMs: 100, expiryMs: 100 })).toThrow(RangeError);
    expect(() => new MemoryPresence({ refreshMs: 100, expiryMs: 50 })).toThrow(RangeError);
  });
});

describe('openPresence', () => {
  it('chooses Redis with REDIS_URL, else the in-process twin, with the configured timing', async () => {
    const twin = openPresence(loadConfig({}));
    expect(twin.kind).toBe('memory');
    await twin.close();
    const real = openPresence(loadConfig({ REDIS_URL: redis.url, PRESENCE_REFRESH_MS: '100', PRESENCE_EXPIRY_MS: '300' }));
    expect(real.kind).toBe('redis');
    await real.close();
    expect(() => openPresence(loadConfig({ PRESENCE_REFRESH_MS: '100', PRESENCE_EXPIRY_MS: '100' }))).toThrow(RangeError);
  });
});
