/**
 * Rooms bigger than one page of the room directory (MAX_QUERY_LIMIT members): every offline
 * member gets the push, the members are read a keyset page at a time, at most one page is held
 * beyond the windows' bound, and a pack tried again after a failed lookup pushes nobody twice.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../shared/testing/messages';
import { rigsClosedAfterEach, seedRoom } from './testing/push-rig';

const rig = rigsClosedAfterEach();

const users = Array.from({ length: 2_500 }, (_, i) => `m${String(i).padStart(5, '0')}`);

describe('push to a room of 2,500 members', () => {
  it('reaches every offline member, reading the members in pages of 1,000 and asking presence a page at a time', async () => {
    const r = await rig({ concurrency: 8 });
    await seedRoom(r.store, 'huge', ['kim', ...users]);
    const online = users.filter((_, i) => i % 10 === 0);
    for (const u of online) r.presence.online.add(u);
    const asked: number[] = [];
    const among = r.presence.onlineAmong.bind(r.presence);
    r.presence.onlineAmong = (ids) => (asked.push(ids.length), among(ids));
    r.publish([r.message('huge', 'kim', 'hello all')]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 2_250, 30_000, '2,250 pushes');
    const tokens = r.mock.requests.map((q) => q.token);
    expect(tokens.length).toBe(2_250);
    expect(new Set(tokens).size).toBe(2_250);
    expect(tokens).not.toContain('kim-t0');
    for (const u of online.slice(0, 5)) expect(tokens).not.toContain(`${u}-t0`);
    expect(tokens).toContain(`${users[2_499]}-t0`);
    // 2,501 members (the sender included): pages of 1,000, 1,000 and 501.
    expect(r.store.listMemberCalls).toBe(3);
    expect(asked).toEqual([999, 1_000, 501]); // the sender (kim) is on the first page
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'online' })).toBe(250);
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'sender' })).toBe(1);
    expect(r.queue.depth()).toBe(0);
  });

  it('holds at most one page beyond the windows bound: the next page waits until windows close', async () => {
    let now = 1_000_000;
    const r = await rig({ collapseMs: 60_000, collapseMaxWindows: 500 }, { clock: () => now });
    await seedRoom(r.store, 'huge', ['kim', ...users]);
    r.publish([r.message('huge', 'kim', 'hello all')]);
    await waitFor(() => r.push.status().windows === 999, 10_000, 'the first page in windows'); // kim is on it
    // Past the bound: the second page is not read while the windows are open.
    await new Promise((res) => setTimeout(res, 200));
    expect(r.push.status().windows).toBe(999);
    expect(r.store.listMemberCalls).toBe(1);
    expect(r.push.status().heldPacks).toBe(1); // not acked: the pack is not all in windows yet
    for (const [page, pushed] of [[2, 999], [3, 1_999], [3, 2_500]]) {
      now += 60_000;
      await r.push.tick();
      await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === pushed, 10_000, `${pushed} pushed`);
      await waitFor(() => r.store.listMemberCalls === page, 10_000, `page ${page} read`);
      expect(r.push.status().windows).toBeLessThanOrEqual(1_000);
    }
    expect(new Set(r.mock.requests.map((q) => q.token)).size).toBe(2_500);
    await waitFor(() => r.push.status().heldPacks === 0, 10_000, 'the pack acked');
  });

  it('goes on where it stopped when a lookup fails half-way: nobody is pushed twice', async () => {
    const r = await rig({ concurrency: 8 });
    await seedRoom(r.store, 'huge', ['kim', ...users]);
    let calls = 0;
    const among = r.presence.onlineAmong.bind(r.presence);
    r.presence.onlineAmong = (ids) => (++calls === 2 ? Promise.reject(new Error('presence down')) : among(ids));
    r.publish([r.message('huge', 'kim', 'hello all')]);
    await waitFor(async () => (await r.metric('stompbox_push_sent_total')) === 2_500, 30_000, '2,500 pushes');
    await new Promise((res) => setTimeout(res, 100));
    expect(r.mock.received).toBe(2_500);
    expect(new Set(r.mock.requests.map((q) => q.token)).size).toBe(2_500);
    expect(r.mock.requests.every((q) => q.message.data.unreadCount === '1')).toBe(true);
    expect(calls).toBe(4); // page 1, page 2 (failed), page 2 again, page 3
    expect(await r.metric('stompbox_push_recipients_total', { decision: 'offline' })).toBe(2_500);
  });
});
