/**
 * Membership events: one contract run against Redis pub/sub (a real redis-server from the
 * harness) and the in-process twin, then what only Redis has: delivery across connections,
 * propagation time, malformed notices, and the resync after Redis restarts.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { sleep } from '../sleep';
import { startRedis, type ServiceHandle } from '../testing/services/index';
import { MAX_ID_LENGTH } from './membership-change';
import type { MembershipChange, MembershipEvents } from './membership-events';
import { MemoryMembershipEvents } from './memory-membership-events';
import { openMembershipEvents } from './open-membership-events';
import { RedisMembershipEvents } from './redis-membership-events';

let redis: ServiceHandle;
beforeAll(async () => {
  redis = await startRedis({ persistence: false });
});
afterAll(async () => {
  await redis?.stop();
});

const opened: MembershipEvents[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((e) => e.close()));
});

async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(2);
  }
}

let n = 0;
const kinds: Record<string, () => MembershipEvents> = {
  memory: () => new MemoryMembershipEvents(),
  redis: () => new RedisMembershipEvents({ url: redis.url, channel: `membership-contract-${++n}` }),
};

for (const [kind, make] of Object.entries(kinds)) {
  describe(`MembershipEvents (${kind})`, () => {
    it("tells this process's listeners synchronously, once each, until they unsubscribe", async () => {
      const e = make();
      opened.push(e);
      await e.start();
      const a: MembershipChange[] = [];
      const b: MembershipChange[] = [];
      const offA = e.subscribe((c) => a.push(c));
      e.subscribe(() => {
        throw new Error('a broken listener');
      });
      e.subscribe((c) => b.push(c));
      const done = e.publish({ roomId: 'r1', userId: 'u1' });
      expect(a).toEqual([{ roomId: 'r1', userId: 'u1' }]); // before the publish settles
      await done;
      offA();
      await e.publish({ roomId: 'r2', userId: null });
      await sleep(50); // an echo through Redis would arrive by now
      expect(a).toEqual([{ roomId: 'r1', userId: 'u1' }]);
      expect(b).toEqual([
        { roomId: 'r1', userId: 'u1' },
        { roomId: 'r2', userId: null },
      ]);
    });

    it('refuses malformed changes and tells nobody', async () => {
      const e = make();
      opened.push(e);
      await e.start();
      const heard: MembershipChange[] = [];
      e.subscribe((c) => heard.push(c));
      await expect(e.publish({ roomId: '', userId: null })).rejects.toThrow(TypeError);
      await expect(e.publish({ roomId: 'r', userId: '' })).rejects.toThrow(TypeError);
      await expect(e.publish({ roomId: 'x'.repeat(MAX_ID_LENGTH + 1), userId: null })).rejects.toThrow(TypeError);
      expect(heard).toEqual([]);
    });
  });
}

describe('RedisMembershipEvents', () => {
  const pair = async (channel: string, registry?: Registry) => {
    const a = new RedisMembershipEvents({ url: redis.url, channel });
    const b = new RedisMembershipEvents({ url: redis.url, channel, registry });
    opened.push(a, b);
    await Promise.all([a.start(), b.start()]);
    return [a, b] as const;
  };

  it("reaches another process's listeners, and the publisher's own only once", async () => {
    const [a, b] = await pair('membership-two');
    const atA: MembershipChange[] = [];
    const atB: MembershipChange[] = [];
    a.subscribe((c) => atA.push(c));
    b.subscribe((c) => atB.push(c));
    await a.publish({ roomId: 'room-1', userId: 'ann' });
    await eventually(() => atB.length === 1); // no order between processes: one at a time
    await b.publish({ roomId: 'room-2', userId: null });
    await eventually(() => atA.length === 2 && atB.length === 2);
    await sleep(50);
    expect(atA).toEqual([
      { roomId: 'room-1', userId: 'ann' },
      { roomId: 'room-2', userId: null },
    ]);
    expect(atB).toEqual(atA);
  });

  it('propagates 1,000 changes to another process (p99 printed)', async () => {
    const [a, b] = await pair('membership-timing');
    const sentAt = new Map<string, number>();
    const took: number[] = [];
    b.subscribe((c) => took.push(performance.now() - sentAt.get(c.roomId)!));
    for (let i = 0; i < 1_000; i++) {
      sentAt.set(`r${i}`, performance.now());
      await a.publish({ roomId: `r${i}`, userId: `u${i}` });
    }
    await eventually(() => took.length === 1_000);
    took.sort((x, y) => x - y);
    const at = (q: number) => took[Math.min(took.length - 1, Math.floor(q * took.length))].toFixed(2);
    console.log(`membership: propagation of 1,000 changes across two connections: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  });

  it('ignores and counts notices that are not well formed', async () => {
    const registry = new Registry();
    const [a, b] = await pair('membership-junk', registry);
    const heard: MembershipChange[] = [];
    b.subscribe((c) => heard.push(c));
    const raw = new Redis(redis.url);
    try {
      for (const junk of ['not json', '[]', 'null', '{"v":2,"o":"x","r":"r","u":null}', '{"v":1,"o":"x","r":5,"u":null}', JSON.stringify({ v: 1, o: 'x', r: 'r', u: 'u', pad: 'p'.repeat(5_000) })]) {
        await raw.publish('membership-junk', junk);
      }
      await raw.publish('membership-junk', JSON.stringify({ v: 1, o: 'someone-else', r: 'ok', u: null }));
    } finally {
      raw.disconnect();
    }
    await eventually(() => heard.length === 1);
    expect(heard).toEqual([{ roomId: 'ok', userId: null }]);
    const values = (await registry.getSingleMetric('stompbox_membership_notices_total')!.get()).values;
    expect(values.find((v) => v.labels.result === 'invalid')?.value).toBe(6);
    void a;
  });

  describe('with Redis restarted', () => {
    let own: ServiceHandle;
    beforeAll(async () => {
      own = await startRedis({ persistence: false });
    });
    afterAll(async () => {
      await own?.stop();
    });

    it('tells listeners to resync once subscribed again, and delivers what follows', async () => {
      if (own.external) return; // cannot stop a server named by TEST_REDIS_URL
      const a = new RedisMembershipEvents({ url: own.url });
      const b = new RedisMembershipEvents({ url: own.url });
      opened.push(a, b);
      await Promise.all([a.start(), b.start()]);
      let resyncs = 0;
      const atB: MembershipChange[] = [];
      b.onResync(() => resyncs++);
      b.subscribe((c) => atB.push(c));
      await own.kill();
      const atA: MembershipChange[] = [];
      a.subscribe((c) => atA.push(c));
      await expect(a.publish({ roomId: 'lost', userId: 'u' })).rejects.toThrow();
      expect(atA).toEqual([{ roomId: 'lost', userId: 'u' }]); // this process still knows
      expect(resyncs).toBe(0);
      await own.start();
      await eventually(() => resyncs === 1, 10_000);
      await a.publish({ roomId: 'after', userId: 'u' }); // the subscription is live when resync is told
      await eventually(() => atB.length === 1);
      expect(atB).toEqual([{ roomId: 'after', userId: 'u' }]);
    });

    it('refuses to start while Redis cannot be reached', async () => {
      const e = new RedisMembershipEvents({ url: 'redis://127.0.0.1:1' });
      await expect(e.start()).rejects.toThrow();
      await e.close();
    });
  });
});

describe('openMembershipEvents', () => {
  it('chooses Redis pub/sub with REDIS_URL, else the in-process twin', async () => {
    const twin = openMembershipEvents(loadConfig({}));
    expect(twin.kind).toBe('memory');
    await twin.close();
    const real = openMembershipEvents(loadConfig({ REDIS_URL: redis.url, MEMBERSHIP_CHANNEL: 'custom' }));
    expect(real.kind).toBe('redis');
    expect((real as RedisMembershipEvents).channel).toBe('custom');
    await real.close();
  });
});
