import { describe, expect, it } from 'vitest';
import { MembershipCache, type MembershipLookup } from './membership-cache';

/** A lookup over a set of "room/user" pairs that counts its calls and can be held. */
function lookup(members: Set<string>) {
  const l = {
    calls: 0,
    fail: false,
    held: null as null | (() => void),
    hold: false,
    async isMember(roomId: string, userId: string) {
      l.calls++;
      // The answer is read when the query runs; `hold` delays only its arrival.
      const answer = members.has(`${roomId}/${userId}`);
      if (l.hold) await new Promise<void>((r) => (l.held = r));
      if (l.fail) throw new Error('db down');
      return answer;
    },
  };
  return l satisfies MembershipLookup;
}

describe('MembershipCache', () => {
  it('looks a pair up once, then answers synchronously while fresh', async () => {
    const l = lookup(new Set(['r1/kim']));
    let t = 0;
    const c = new MembershipCache(l, { ttlMs: 1000, maxEntries: 10, now: () => t });
    await expect(c.isMember('r1', 'kim')).resolves.toBe(true);
    for (let i = 0; i < 100; i++) expect(c.isMember('r1', 'kim')).toBe(true);
    expect(l.calls).toBe(1);
    await expect(c.isMember('r1', 'lee')).resolves.toBe(false);
    t = 500;
    expect(c.isMember('r1', 'lee')).toBe(false);
    expect(l.calls).toBe(2);
  });

  it('shares one lookup between concurrent checks of a pair', async () => {
    const l = lookup(new Set(['r1/kim']));
    const c = new MembershipCache(l, { ttlMs: 1000, maxEntries: 10 });
    const all = await Promise.all([c.isMember('r1', 'kim'), c.isMember('r1', 'kim'), c.isMember('r1', 'kim')]);
    expect(all).toEqual([true, true, true]);
    expect(l.calls).toBe(1);
  });

  it('past the TTL a member is answered at once and refreshed in the background; a non-member is looked up again first', async () => {
    const members = new Set(['r1/kim']);
    const l = lookup(members);
    let t = 0;
    const c = new MembershipCache(l, { ttlMs: 100, maxEntries: 10, now: () => t });
    await c.isMember('r1', 'kim');
    await c.isMember('r1', 'lee');
    members.delete('r1/kim');
    members.add('r1/lee');
    t = 200;
    expect(c.isMember('r1', 'kim')).toBe(true); // stale but answered now
    await expect(c.isMember('r1', 'lee')).resolves.toBe(true); // denied answers are not trusted stale
    await new Promise((r) => setImmediate(r));
    expect(c.isMember('r1', 'kim')).toBe(false); // the background refresh landed
  });

  it('a change notice drops the pair at once; a room-wide notice drops the whole room', async () => {
    const members = new Set(['r1/kim', 'r1/lee', 'r2/kim']);
    const l = lookup(members);
    const c = new MembershipCache(l, { ttlMs: 60_000, maxEntries: 10 });
    for (const [r, u] of [['r1', 'kim'], ['r1', 'lee'], ['r2', 'kim']]) await c.isMember(r, u);
    members.delete('r1/kim');
    c.invalidate({ roomId: 'r1', userId: 'kim' });
    await expect(c.isMember('r1', 'kim')).resolves.toBe(false);
    expect(c.isMember('r1', 'lee')).toBe(true);
    members.clear();
    c.invalidate({ roomId: 'r1', userId: null });
    await expect(c.isMember('r1', 'lee')).resolves.toBe(false);
    expect(c.isMember('r2', 'kim')).toBe(true);
    c.clear();
    await expect(c.isMember('r2', 'kim')).resolves.toBe(false);
  });

  it('a lookup answered after a change notice is not cached (it may predate the change)', async () => {
    const members = new Set(['r1/kim']);
    const l = lookup(members);
    l.hold = true;
    const c = new MembershipCache(l, { ttlMs: 60_000, maxEntries: 10 });
    const first = c.isMember('r1', 'kim');
    await new Promise((r) => setImmediate(r));
    members.delete('r1/kim');
    c.invalidate({ roomId: 'r1', userId: 'kim' });
    l.hold = false;
    l.held!();
    await expect(first).resolves.toBe(true);
    await expect(c.isMember('r1', 'kim')).resolves.toBe(false);
    expect(l.calls).toBe(2);
  });

  it('keeps at most maxEntries, dropping the oldest, and counts evictions', async () => {
    const l = lookup(new Set());
    const c = new MembershipCache(l, { ttlMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 5; i++) await c.isMember('r', `u${i}`);
    expect(c.size).toBe(3);
    expect(c.stats.evictions).toBe(2);
    expect(c.isMember('r', 'u4')).toBe(false);
    expect(c.isMember('r', 'u0')).toBeInstanceOf(Promise);
  });

  it('a failed lookup rejects and caches nothing', async () => {
    const l = lookup(new Set(['r1/kim']));
    l.fail = true;
    const c = new MembershipCache(l, { ttlMs: 60_000, maxEntries: 3 });
    await expect(c.isMember('r1', 'kim')).rejects.toThrow('db down');
    l.fail = false;
    await expect(c.isMember('r1', 'kim')).resolves.toBe(true);
    expect(c.stats.lookupFailures).toBe(1);
  });
});
