import { describe, expect, it } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import { BrokerAccessPolicy, type AccessRules } from './broker-access-policy';
import { MembershipCache } from './membership-cache';

const kim = { userId: 'kim' };
const boss = { userId: 'boss', admin: true };

function policy(rules: Partial<AccessRules> = {}, members = new Set(['r1/kim'])) {
  const calls = { n: 0 };
  const cache = new MembershipCache(
    { isMember: async (r, u) => (calls.n++, members.has(`${r}/${u}`)) },
    { ttlMs: 60_000, maxEntries: 100 },
  );
  return { p: new BrokerAccessPolicy({ rooms: 'members', pubsub: 'open', userSend: 'off', ...rules }, cache), calls };
}

async function refusal(fn: () => unknown): Promise<StompProtocolError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StompProtocolError);
    return e as StompProtocolError;
  }
  throw new Error('expected a refusal');
}

describe('BrokerAccessPolicy', () => {
  it('rooms: members pass (synchronously once cached), others get forbidden naming the destination', async () => {
    const { p, calls } = policy();
    await p.checkPublish(kim, '/topic/room.r1', 'r1');
    expect(p.checkPublish(kim, '/topic/room.r1', 'r1')).toBeUndefined();
    expect(p.checkSubscribe(kim, '/topic/room.r1', 'r1')).toBeUndefined();
    const e = await refusal(() => p.checkSubscribe({ userId: 'lee' }, '/topic/room.r1', 'r1'));
    expect(e.code).toBe('forbidden');
    expect(e.message).toContain('/topic/room.r1');
    expect(calls.n).toBe(2);
    expect(p.denied.room).toBe(1);
  });

  it('rooms open: no lookup at all; admins pass membership', async () => {
    const open = policy({ rooms: 'open' });
    expect(open.p.checkPublish({ userId: 'lee' }, '/topic/room.r1', 'r1')).toBeUndefined();
    expect(open.calls.n).toBe(0);
    const { p, calls } = policy();
    expect(p.checkPublish(boss, '/topic/room.r9', 'r9')).toBeUndefined();
    expect(calls.n).toBe(0);
  });

  it('user queues: subscribe to your own only; send to others only when allowed', async () => {
    const { p } = policy();
    expect(p.checkSubscribe(kim, '/user/kim/queue/inbox', null)).toBeUndefined();
    expect((await refusal(() => p.checkSubscribe(kim, '/user/lee/queue/inbox', null))).code).toBe('forbidden');
    expect((await refusal(() => p.checkSubscribe(boss, '/user/lee/queue/inbox', null))).code).toBe('forbidden');
    expect((await refusal(() => p.checkPublish(kim, '/user/lee/queue/inbox', null))).code).toBe('forbidden');
    expect(p.checkPublish(kim, '/user/kim/queue/inbox', null)).toBeUndefined();
    expect(p.checkPublish(boss, '/user/lee/queue/inbox', null)).toBeUndefined();
    expect((await refusal(() => p.checkPublish(kim, '/user/queue/inbox', null))).code).toBe('bad-destination');
    expect((await refusal(() => p.checkSubscribe(kim, '/user/kim/topic/x', null))).code).toBe('bad-destination');
    const any = policy({ userSend: 'any' });
    expect(any.p.checkPublish(kim, '/user/lee/queue/inbox', null)).toBeUndefined();
  });

  it('plain pub/sub: open by default, closed when configured (admins still pass)', async () => {
    expect(policy().p.checkSubscribe(kim, '/topic/news', null)).toBeUndefined();
    const closed = policy({ pubsub: 'closed' });
    expect((await refusal(() => closed.p.checkPublish(kim, '/topic/news', null))).code).toBe('forbidden');
    expect(closed.p.checkPublish(boss, '/topic/news', null)).toBeUndefined();
  });

  it('server channels beside a room are read like the room and never written', async () => {
    const { p } = policy();
    await p.checkSubscribe(kim, '/topic/room.r1.trending', 'r1.trending');
    expect((await refusal(() => p.checkSubscribe({ userId: 'lee' }, '/topic/room.r1.trending', 'r1.trending'))).code).toBe('forbidden');
    expect((await refusal(() => p.checkPublish(kim, '/topic/room.r1.trending', 'r1.trending'))).code).toBe('forbidden');
    expect((await refusal(() => policy({ rooms: 'open' }).p.checkPublish(kim, '/topic/room.r1.presence', 'r1.presence'))).code).toBe('forbidden');
  });

  it('a failing membership lookup refuses with access-unavailable', async () => {
    const cache = new MembershipCache({ isMember: async () => { throw new Error('db down'); } }, { ttlMs: 1000, maxEntries: 10 });
    const p = new BrokerAccessPolicy({ rooms: 'members', pubsub: 'open', userSend: 'off' }, cache);
    const e = await refusal(() => p.checkPublish(kim, '/topic/room.r1', 'r1'));
    expect(e.code).toBe('access-unavailable');
  });
});
