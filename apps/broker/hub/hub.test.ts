import { describe, expect, it } from 'vitest';
import { emptyHistory } from '../../shared/history/history';
import { RecentRing } from '../../shared/history/recent-ring';
import { MessageIdGenerator } from '../../shared/message-id';
import { MemoryOffload } from '../../shared/queue/memory-offload';
import { compileRoomTemplate } from '../../shared/rooms';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { AccessPolicy } from './access-policy';
import type { DestinationHooks } from './destination-hooks';
import { Hub, type HubDeps, type HubSubscriber } from './hub';
import type { Publication } from './publication';

const alice = { userId: 'alice' };

function hub(over: Partial<HubDeps> = {}): Hub {
  return new Hub({
    ids: new MessageIdGenerator('t'),
    offload: new MemoryOffload(1_000),
    rooms: compileRoomTemplate('/topic/room.{roomId}'),
    ring: new RecentRing({ perRoom: 10 }),
    history: emptyHistory,
    ...over,
  });
}

function subscriber(destination: string): HubSubscriber & { got: Publication[] } {
  const got: Publication[] = [];
  return { destination, got, deliver: (p) => got.push(p) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/**
 * Hooks that log every call and take `delay` turns (settable per call), and check that calls
 * for one destination never overlap.
 */
function recordingHooks(opts: { delay?: () => number; failFirst?: (d: string) => boolean } = {}) {
  const log: string[] = [];
  const running = new Set<string>();
  const overlaps: string[] = [];
  const wait = async () => {
    const n = opts.delay?.() ?? 1;
    for (let i = 0; i < n; i++) await tick();
  };
  const hooks: DestinationHooks = {
    async firstSubscriber(d) {
      if (running.has(d)) overlaps.push(d);
      running.add(d);
      await wait();
      running.delete(d);
      if (opts.failFirst?.(d)) {
        log.push(`!${d}`);
        throw new Error(`bind ${d} refused`);
      }
      log.push(`+${d}`);
    },
    async lastUnsubscribed(d) {
      if (running.has(d)) overlaps.push(d);
      running.add(d);
      await wait();
      running.delete(d);
      log.push(`-${d}`);
    },
  };
  return { hooks, log, overlaps };
}

describe('Hub without hooks or access policy', () => {
  it('subscribes and publishes synchronously, delivering to each local subscriber once', () => {
    const h = hub();
    const a = subscriber('/topic/x');
    const b = subscriber('/topic/x');
    expect(h.subscribe(a, alice)).toBeUndefined();
    expect(h.subscribe(b, alice)).toBeUndefined();
    const r = h.publish({ destination: '/topic/x', contentType: null, headers: {}, body: Buffer.from('hi') }, alice);
    expect(r).not.toBeInstanceOf(Promise);
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(1);
    expect(a.got[0].msg.senderId).toBe('alice');
    h.unsubscribe(a);
    h.unsubscribe(b);
    expect(h.destinations).toBe(0);
    expect(h.subscriptions).toBe(0);
  });

  it('stamps the room of a room destination and keeps it in the recent ring for history', async () => {
    const h = hub();
    h.publish({ destination: '/topic/room.42', contentType: null, headers: {}, body: Buffer.from('a') }, alice);
    const past = await h.history({ kind: 'last', roomId: '42', limit: 10 });
    expect(past.map((m) => m.roomId)).toEqual(['42']);
  });
});

describe('Hub destination hooks', () => {
  it('calls firstSubscriber once for the first local subscriber and lastUnsubscribed after the last', async () => {
    const { hooks, log } = recordingHooks();
    const h = hub({ hooks });
    const a = subscriber('/d');
    const b = subscriber('/d');
    const first = h.subscribe(a, alice);
    expect(first).toBeInstanceOf(Promise);
    await first;
    // Bound and nothing queued: the second subscriber takes the synchronous path, no hook.
    expect(h.subscribe(b, alice)).toBeUndefined();
    h.unsubscribe(a);
    await h.settled('/d');
    expect(log).toEqual(['+/d']);
    h.unsubscribe(b);
    await h.settled('/d');
    expect(log).toEqual(['+/d', '-/d']);
  });

  it('makes a second subscriber wait for a bind still in flight', async () => {
    const { hooks, log } = recordingHooks({ delay: () => 5 });
    const h = hub({ hooks });
    const first = h.subscribe(subscriber('/d'), alice) as Promise<void>;
    const second = h.subscribe(subscriber('/d'), alice);
    expect(second).toBeInstanceOf(Promise);
    let secondDone = false;
    (second as Promise<void>).then(() => (secondDone = true));
    await tick();
    expect(secondDone).toBe(false);
    await first;
    await second;
    expect(log).toEqual(['+/d']);
  });

  it('serialises quick subscribe / unsubscribe / subscribe into the right final state, never overlapping', async () => {
    const { hooks, log, overlaps } = recordingHooks({ delay: () => 3 });
    const h = hub({ hooks });
    const a = subscriber('/d');
    const b = subscriber('/d');
    const pa = h.subscribe(a, alice);
    h.unsubscribe(a);
    const pb = h.subscribe(b, alice);
    await Promise.all([pa, pb]);
    await h.settled('/d');
    expect(overlaps).toEqual([]);
    // The unsubscribe in between coalesced away: b arrived before it ran.
    expect(log).toEqual(['+/d']);
    h.unsubscribe(b);
    const pc = h.subscribe(subscriber('/d'), alice);
    await pc;
    await h.settled('/d');
    expect(log.filter((e) => e === '-/d').length).toBeLessThanOrEqual(1);
    expect(log[log.length - 1]).toBe('+/d');
  });

  it('ends bound exactly where subscribers remain, after random sequences on several destinations', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const { hooks, log, overlaps } = recordingHooks({ delay: () => rand(4) });
    const h = hub({ hooks });
    const live: HubSubscriber[] = [];
    const dests = ['/a', '/b', '/c'];
    const pending: Promise<void>[] = [];
    for (let step = 0; step < 400; step++) {
      if (live.length > 0 && rand(2) === 0) {
        h.unsubscribe(live.splice(rand(live.length), 1)[0]);
      } else {
        const s = subscriber(dests[rand(dests.length)]);
        live.push(s);
        const p = h.subscribe(s, alice);
        if (p) pending.push(p);
      }
      if (rand(3) === 0) await tick();
    }
    await Promise.all(pending);
    await Promise.all(dests.map((d) => h.settled(d)));
    expect(overlaps).toEqual([]);
    for (const d of dests) {
      const calls = log.filter((e) => e.endsWith(d));
      // Strictly alternating bind / unbind per destination, starting with a bind.
      calls.forEach((e, i) => expect(e[0]).toBe(i % 2 === 0 ? '+' : '-'));
      const wanted = live.some((s) => s.destination === d);
      expect(calls.length > 0 && calls[calls.length - 1][0] === '+').toBe(wanted);
    }
    // Every live subscriber receives a publication exactly once.
    for (const d of dests) h.publish({ destination: d, contentType: null, headers: {}, body: Buffer.alloc(0) }, alice);
    for (const s of live) expect((s as ReturnType<typeof subscriber>).got).toHaveLength(1);
  });

  it('rolls the subscriber back when firstSubscriber fails, and binds again for the next one', async () => {
    let refuse = true;
    const { hooks, log } = recordingHooks({ failFirst: () => refuse });
    const h = hub({ hooks });
    const a = subscriber('/d');
    await expect(h.subscribe(a, alice)).rejects.toThrow(/refused/);
    expect(h.subscriptions).toBe(0);
    h.publish({ destination: '/d', contentType: null, headers: {}, body: Buffer.alloc(0) }, alice);
    expect(a.got).toHaveLength(0);
    refuse = false;
    await h.subscribe(subscriber('/d'), alice);
    expect(log).toEqual(['!/d', '+/d']);
    expect(h.subscriptions).toBe(1);
  });
});

describe('Hub access policy', () => {
  const members = new Set(['1']);

  /** Members of room 1 only; the first question per room is a lookup, later ones are cached. */
  function memberPolicy() {
    const cache = new Map<string, boolean>();
    const lookups: string[] = [];
    const decide = (roomId: string | null): void | Promise<void> => {
      if (roomId === null) return;
      const known = cache.get(roomId);
      const deny = () => {
        throw new StompProtocolError('forbidden', `not a member of room ${roomId}`);
      };
      if (known === true) return;
      if (known === false) deny();
      lookups.push(roomId);
      return Promise.resolve().then(() => {
        cache.set(roomId, members.has(roomId));
        if (!members.has(roomId)) deny();
      });
    };
    const p: AccessPolicy = { checkSubscribe: (_w, _d, r) => decide(r), checkPublish: (_w, _d, r) => decide(r) };
    return { p, lookups };
  }

  it('is asked before subscribe and publish; the cached answer keeps both synchronous', async () => {
    const { p, lookups } = memberPolicy();
    const h = hub({ access: p });
    const s = subscriber('/topic/room.1');
    const first = h.subscribe(s, alice);
    expect(first).toBeInstanceOf(Promise);
    await first;
    const sent = h.publish({ destination: '/topic/room.1', contentType: null, headers: {}, body: Buffer.alloc(0) }, alice);
    expect(sent).not.toBeInstanceOf(Promise);
    expect(s.got).toHaveLength(1);
    expect(lookups).toEqual(['1']);
    // Plain pub/sub destinations are not rooms: nothing to check.
    expect(h.subscribe(subscriber('/topic/plain'), alice)).toBeUndefined();
  });

  it('denies without registering or publishing anything', async () => {
    const { p } = memberPolicy();
    const h = hub({ access: p });
    const s = subscriber('/topic/room.2');
    await expect(h.subscribe(s, alice)).rejects.toMatchObject({ code: 'forbidden' });
    expect(h.subscriptions).toBe(0);
    expect(() => h.publish({ destination: '/topic/room.2', contentType: null, headers: {}, body: Buffer.alloc(0) }, alice)).toThrow(/not a member/);
  });
});
