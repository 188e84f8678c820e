/**
 * Handlers that wait: an authenticator or an access lookup returns a promise, and the frames
 * behind it keep their order, their receipts and their deliveries; reads pause meanwhile and
 * the queue is bounded.
 */
import { describe, expect, it } from 'vitest';
import { deferred } from '../../shared/testing/deferred';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { Headers } from '../../shared/stomp/frame';
import type { AccessPolicy } from '../hub/access-policy';
import type { DestinationHooks } from '../hub/destination-hooks';
import type { Authenticator } from './authenticator';
import { f, testContext } from '../testing/session-harness';

const CONNECT = f('CONNECT', { 'accept-version': '1.2', host: 'x', login: 'alice' });
const tick = () => new Promise((r) => setTimeout(r, 0));


const receipts = (frames: { command: string; headers: Record<string, string> }[]) =>
  frames.filter((x) => x.command === 'RECEIPT').map((x) => x.headers['receipt-id']);

/** Rooms decided by the test: the first question per room waits on `gate`, later ones are cached. */
function lookupPolicy(allowed: (roomId: string) => boolean) {
  const cache = new Map<string, boolean>();
  const gate = deferred();
  const lookups: string[] = [];
  const decide = (roomId: string | null): void | Promise<void> => {
    if (roomId === null) return;
    const deny = () => {
      throw new StompProtocolError('forbidden', `not a member of room ${roomId}`);
    };
    const known = cache.get(roomId);
    if (known !== undefined) return known ? undefined : deny();
    lookups.push(roomId);
    return gate.promise.then(() => {
      cache.set(roomId, allowed(roomId));
      if (!allowed(roomId)) deny();
    });
  };
  const policy: AccessPolicy = { checkSubscribe: (_w, _d, r) => decide(r), checkPublish: (_w, _d, r) => decide(r) };
  return { policy, gate, lookups };
}

describe('Session: handlers that wait', () => {
  it('holds frames behind an asynchronous CONNECT, in order, with their receipts, reads paused meanwhile', async () => {
    const auth = deferred();
    const slowAuth: Authenticator = {
      mode: 'jwt',
      authenticate: (h: Headers) => auth.promise.then(() => ({ userId: h.login ?? 'x' })),
    };
    const t = testContext({ auth: slowAuth });
    const a = t.open();
    a.send(f('CONNECT', { 'accept-version': '1.2', login: 'alice', receipt: 'r0' }));
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/t', receipt: 'r1' }));
    a.send(f('SEND', { destination: '/topic/t', receipt: 'r2' }, 'one'));
    a.send(f('SEND', { destination: '/topic/t', receipt: 'r3' }, 'two'));
    expect(a.io.frames).toHaveLength(0);
    expect(a.io.paused).toBe(true);
    auth.resolve();
    await tick();
    expect(a.io.paused).toBe(false);
    expect(a.io.frames[0].command).toBe('CONNECTED');
    expect(a.io.frames[1].headers['receipt-id']).toBe('r0');
    expect(receipts(a.io.frames)).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(a.io.frames.filter((x) => x.command === 'MESSAGE').map((x) => x.body.toString())).toEqual(['one', 'two']);
  });

  it('a SEND right after a SUBSCRIBE that waits for an access lookup still reaches that subscription', async () => {
    const { policy, gate, lookups } = lookupPolicy(() => true);
    const t = testContext({ access: policy });
    const a = t.open();
    a.send(CONNECT);
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/room.7', receipt: 'sub' }));
    a.send(f('SEND', { destination: '/topic/room.7', receipt: 'send' }, 'hello'));
    expect(a.io.paused).toBe(true);
    expect(a.io.frames.map((x) => x.command)).toEqual(['CONNECTED']);
    gate.resolve();
    await tick();
    expect(a.io.frames.map((x) => x.command)).toEqual(['CONNECTED', 'RECEIPT', 'MESSAGE', 'RECEIPT']);
    expect(receipts(a.io.frames)).toEqual(['sub', 'send']);
    // Cached from now on: the next SEND is handled synchronously, nothing queues.
    a.send(f('SEND', { destination: '/topic/room.7' }, 'again'));
    expect(a.io.frames.at(-1)!.body.toString()).toBe('again');
    expect(lookups).toEqual(['7']);
  });

  it('a denied lookup is an ERROR forbidden carrying the frame receipt id; nothing behind it runs', async () => {
    const { policy, gate } = lookupPolicy(() => false);
    const t = testContext({ access: policy });
    const a = t.open();
    a.send(CONNECT);
    a.send(f('SEND', { destination: '/topic/room.9', receipt: 'x' }, 'no'));
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/plain', receipt: 'y' }));
    gate.resolve();
    await tick();
    const err = a.io.frames.at(-1)!;
    expect(err.command).toBe('ERROR');
    expect(err.headers.message).toBe('forbidden');
    expect(err.headers['receipt-id']).toBe('x');
    expect(receipts(a.io.frames)).toEqual([]);
    expect(t.hub.subscriptions).toBe(0);
    expect(a.io.closed).toBe(true);
  });

  it('bounds the frames waiting behind a handler', async () => {
    const { policy } = lookupPolicy(() => true);
    const t = testContext({ access: policy, limits: { maxPendingFrames: 3 } });
    const a = t.open();
    a.send(CONNECT);
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/room.1' }));
    for (let i = 0; i < 4; i++) a.send(f('SEND', { destination: '/topic/plain' }, String(i)));
    expect(a.io.frames.at(-1)!.headers.message).toBe('too-many-pending-frames');
    expect(a.io.closed).toBe(true);
  });

  it('a transaction whose SEND waits for a lookup commits in order; the COMMIT receipt comes after its frames', async () => {
    const { policy, gate } = lookupPolicy(() => true);
    const t = testContext({ access: policy });
    const a = t.open();
    const b = t.open();
    a.send(CONNECT);
    b.send(CONNECT);
    b.send(f('SUBSCRIBE', { id: 'p', destination: '/topic/plain' }));
    a.send(f('BEGIN', { transaction: 'tx' }));
    a.send(f('SEND', { destination: '/topic/plain', transaction: 'tx' }, '1'));
    a.send(f('SEND', { destination: '/topic/room.3', transaction: 'tx' }, '2'));
    a.send(f('SEND', { destination: '/topic/plain', transaction: 'tx' }, '3'));
    a.send(f('COMMIT', { transaction: 'tx', receipt: 'c' }));
    a.send(f('SEND', { destination: '/topic/plain', receipt: 'after' }, '4'));
    expect(b.io.frames.filter((x) => x.command === 'MESSAGE').map((x) => x.body.toString())).toEqual(['1']);
    gate.resolve();
    await tick();
    expect(b.io.frames.filter((x) => x.command === 'MESSAGE').map((x) => x.body.toString())).toEqual(['1', '3', '4']);
    expect(receipts(a.io.frames)).toEqual(['c', 'after']);
  });

  it('a SUBSCRIBE whose destination is being bound waits for the bind; a failed bind is an ERROR subscribe-failed', async () => {
    const bind = deferred();
    const hooks: DestinationHooks = { firstSubscriber: () => bind.promise, lastUnsubscribed: async () => {} };
    const t = testContext({ hooks });
    const a = t.open();
    a.send(CONNECT);
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/x', receipt: 'r' }));
    await tick();
    expect(receipts(a.io.frames)).toEqual([]);
    bind.reject(new Error('queue bind refused'));
    await tick();
    const err = a.io.frames.at(-1)!;
    expect(err.headers.message).toBe('subscribe-failed');
    expect(err.headers['receipt-id']).toBe('r');
    expect(err.body.toString()).toContain('queue bind refused');
    expect(t.hub.subscriptions).toBe(0);
  });
});
