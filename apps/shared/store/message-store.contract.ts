/**
 * The Store contract, run against every implementation (postgres-store.test.ts,
 * pglite-store.test.ts), so the embedded twin cannot drift from the real backend
 * (apps/README.md "Layout": the same tests run against both).
 */
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../message';
import { MessageIdGenerator } from '../message-id';
import { StoreUnavailableError } from './message-store';
import type { Store } from './store';
import { InvalidArgumentError } from './validate';
import { sleep } from '../sleep';

let roomSeq = 0;
/** A room id no other test uses (tests share one database). */
export const freshRoom = (tag = 'r') => `${tag}${process.pid}x${++roomSeq}`;

export function makeMessage(roomId: string, id: string, over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id,
    destination: `/topic/room.${roomId}`,
    roomId,
    senderId: 'alice',
    nodeId: 'n1',
    sentAt: 1_700_000_000_123,
    contentType: 'text/plain',
    headers: { 'x-client': 'test' },
    body: Buffer.from(`hello ${id}`),
    ...over,
  };
}

export function makeMessages(roomId: string, n: number, gen = new MessageIdGenerator('n1')): OutboundMessage[] {
  return Array.from({ length: n }, (_, i) => makeMessage(roomId, gen.next(), { body: Buffer.from(`m${i}`) }));
}

export function describeMessageStoreContract(name: string, getStore: () => Store): void {
  describe(`Store contract: ${name}`, () => {
    it('inserts a batch once: a repeated batch and repeated ids inside a batch insert nothing more', async () => {
      const s = getStore();
      const room = freshRoom();
      const msgs = makeMessages(room, 10);
      expect(await s.insertBatch(msgs)).toEqual({ inserted: 10, rejected: [] });
      expect(await s.insertBatch(msgs)).toEqual({ inserted: 0, rejected: [] });
      const more = makeMessages(room, 2);
      expect((await s.insertBatch([...more, more[0], msgs[3]])).inserted).toBe(2);
      expect(await s.countMessages(room)).toBe(12);
      expect(await s.insertBatch([])).toEqual({ inserted: 0, rejected: [] });
    });

    it('splits batches above the chunk size and stores every row', async () => {
      const s = getStore();
      const room = freshRoom();
      const msgs = makeMessages(room, 2_345);
      expect((await s.insertBatch(msgs)).inserted).toBe(2_345);
      expect(await s.countMessages(room)).toBe(2_345);
    });

    it('round-trips every field; text bodies, binary bodies, NUL bytes and invalid UTF-8 alike', async () => {
      const s = getStore();
      const room = freshRoom();
      const bodies = [
        Buffer.from('plain chat 안녕하세요 👋'),
        Buffer.alloc(0),
        Buffer.from([0x61, 0x00, 0x62]),
        Buffer.from([0xff, 0xfe, 0x80]),
        Buffer.from('{"json":true}'),
      ];
      const gen = new MessageIdGenerator('node_1.x');
      const msgs = bodies.map((body, i) =>
        makeMessage(room, gen.next(), {
          body,
          senderId: `user-${i}`,
          nodeId: 'node_1.x',
          sentAt: 1_700_000_000_000 + i * 1_001,
          contentType: i === 1 ? null : 'application/x-test',
          headers: i === 2 ? {} : { a: 'b', 'x-emoji': '🚀', 'x-colon': 'a:b' },
        }),
      );
      await s.insertBatch(msgs);
      const back = await s.lastMessages(room, 10);
      expect(back).toHaveLength(bodies.length);
      for (let i = 0; i < msgs.length; i++) {
        expect(Buffer.isBuffer(back[i].body)).toBe(true);
        expect({ ...back[i], body: back[i].body.toString('hex') }).toEqual({ ...msgs[i], body: msgs[i].body.toString('hex') });
      }
    });

    it('answers latest N, after X and before X in id order with no gap and no duplicate', async () => {
      const s = getStore();
      const room = freshRoom();
      const other = freshRoom();
      const msgs = makeMessages(room, 25);
      await s.insertBatch([...msgs, ...makeMessages(other, 5)]);
      const ids = msgs.map((m) => m.id);

      expect((await s.lastMessages(room, 5)).map((m) => m.id)).toEqual(ids.slice(20));
      expect((await s.lastMessages(room, 100)).map((m) => m.id)).toEqual(ids);
      expect(await s.lastMessages(room, 0)).toEqual([]);
      expect((await s.messagesAfter(room, ids[9], 5)).map((m) => m.id)).toEqual(ids.slice(10, 15));
      expect((await s.messagesAfter(room, ids[24], 5))).toEqual([]);
      // An id that is not stored works as a cursor too (recovery after a message we never saw saved).
      expect((await s.messagesAfter(room, '0', 3)).map((m) => m.id)).toEqual(ids.slice(0, 3));

      // Page backwards through everything: each page oldest-first, pages newest-first.
      const seen: string[] = [];
      let before: string | null = null;
      for (;;) {
        const page = await s.messagesBefore(room, before, 7);
        if (page.length === 0) break;
        seen.unshift(...page.map((m) => m.id));
        before = page[0].id;
      }
      expect(seen).toEqual(ids);
      expect(await s.lastMessages(freshRoom(), 10)).toEqual([]);
    });

    it('orders ids bytewise, exactly as JavaScript compares strings (COLLATE "C")', async () => {
      const s = getStore();
      const room = freshRoom();
      const ids = ['0000000a1-0000-Zed', '0000000a1-0000-abc', '0000000a1-0000-a.b', '0000000a1-0000-a_b', '0000000a1-0000-A', '0000000a1-0000-_'];
      await s.insertBatch(ids.map((id) => makeMessage(room, id)));
      const sorted = [...ids].sort();
      expect((await s.lastMessages(room, 10)).map((m) => m.id)).toEqual(sorted);
      expect((await s.messagesAfter(room, sorted[2], 10)).map((m) => m.id)).toEqual(sorted.slice(3));
    });

    it('rejects only the poison rows of a batch, with the reason, and stores the rest', async () => {
      const s = getStore();
      const room = freshRoom();
      const msgs = makeMessages(room, 40);
      msgs[7] = { ...msgs[7], headers: { bad: 'nul \u0000 inside' } }; // jsonb refuses \u0000
      msgs[31] = { ...msgs[31], senderId: 'nul\u0000sender' }; // text refuses NUL
      const plain = { ...makeMessage(room, 'zz-plain'), roomId: null, destination: '/topic/news' };
      const r = await s.insertBatch([...msgs, plain]);
      expect(r.inserted).toBe(38);
      expect(r.rejected.map((x) => x.id).sort()).toEqual([msgs[7].id, msgs[31].id, 'zz-plain'].sort());
      const byId = new Map(r.rejected.map((x) => [x.id, x]));
      expect(byId.get(msgs[7].id)!.code).toMatch(/^22/);
      expect(byId.get(msgs[7].id)!.reason).toMatch(/unicode|escape|\\u0000/i);
      expect(byId.get(msgs[31].id)!.reason).toMatch(/0x00|byte sequence/i);
      expect(byId.get('zz-plain')!.reason).toMatch(/not a room message/);
      expect(await s.countMessages(room)).toBe(38);
    });

    it('creates rooms and users idempotently and manages membership', async () => {
      const s = getStore();
      const room = freshRoom('room');
      expect(await s.roomExists(room)).toBe(false);
      await s.ensureRoomAndUser(room, 'bob');
      await s.ensureRoomAndUser(room, 'bob');
      expect(await s.roomExists(room)).toBe(true);
      expect(await s.isMember(room, 'bob')).toBe(false);
      expect(await s.addMember(room, 'bob')).toBe(true);
      expect(await s.addMember(room, 'bob')).toBe(false);
      expect(await s.addMember(room, 'amy')).toBe(true); // user created on the way
      expect(await s.isMember(room, 'bob')).toBe(true);
      const members = await s.listMembers(room);
      expect(members.map((m) => m.userId)).toEqual(['amy', 'bob']);
      expect(members[0].joinedAt).toBeInstanceOf(Date);
      expect((await s.listMembers(room, 1)).map((m) => m.userId)).toEqual(['amy']);
      expect(await s.removeMember(room, 'bob')).toBe(true);
      expect(await s.removeMember(room, 'bob')).toBe(false);
      expect(await s.isMember(room, 'bob')).toBe(false);
      const fresh = freshRoom('room');
      await s.ensureRoom(fresh);
      await s.ensureUser('carol');
      expect(await s.roomExists(fresh)).toBe(true);
    });

    it('lists members a keyset page at a time, after a user id', async () => {
      const s = getStore();
      const room = freshRoom('pages');
      const users = Array.from({ length: 7 }, (_, i) => `pg${i}`);
      await s.addMembers(users.map((userId) => ({ roomId: room, userId })));
      const pages: string[][] = [];
      for (let after: string | undefined, page: string[]; ; after = page[page.length - 1]) {
        page = (await s.listMembers(room, 3, after)).map((m) => m.userId);
        pages.push(page);
        if (page.length < 3) break;
      }
      expect(pages).toEqual([['pg0', 'pg1', 'pg2'], ['pg3', 'pg4', 'pg5'], ['pg6']]);
      expect((await s.listMembers(room, undefined, 'pg4')).map((m) => m.userId)).toEqual(['pg5', 'pg6']);
      expect(await s.listMembers(room, 3, 'pg6')).toEqual([]);
    });

    it('adds members in bulk: rooms and users created on the way, repeats and existing members count nothing', async () => {
      const s = getStore();
      const [r1, r2, r3] = [freshRoom('bulk'), freshRoom('bulk'), freshRoom('bulk')];
      const [u1, u2] = [freshRoom('bu'), freshRoom('bu')];
      expect(await s.addMembers([])).toBe(0);
      await s.ensureRoom(r3);
      expect(await s.addMember(r3, u1)).toBe(true);
      const pairs = [
        { roomId: r1, userId: u1 },
        { roomId: r1, userId: u2 },
        { roomId: r2, userId: u1 },
        { roomId: r1, userId: u1 }, // repeated in the batch
        { roomId: r3, userId: u1 }, // already a member
        { roomId: r3, userId: u2 }, // existing room, new member
      ];
      // Memberships reference rooms and users by foreign key: the users were created too.
      expect(await s.addMembers(pairs)).toBe(4);
      expect(await s.addMembers(pairs)).toBe(0);
      for (const r of [r1, r2, r3]) expect(await s.roomExists(r)).toBe(true);
      expect((await s.listMembers(r1)).map((m) => m.userId)).toEqual([u1, u2].sort());
      expect((await s.listMembers(r2)).map((m) => m.userId)).toEqual([u1]);
      expect((await s.listMembers(r3)).map((m) => m.userId)).toEqual([u1, u2].sort());
    });

    it('adds members in bulk above the chunk size, and refuses a batch with an invalid id before writing any of it', async () => {
      const s = getStore();
      const user = freshRoom('bu');
      const rooms = Array.from({ length: 2_345 }, () => freshRoom('bulk'));
      expect(await s.addMembers(rooms.map((roomId) => ({ roomId, userId: user })))).toBe(2_345);
      expect(await s.isMember(rooms[2_344], user)).toBe(true);
      const fresh = freshRoom('bulk');
      const bad = [{ roomId: fresh, userId: user }, { roomId: 'r\u0000', userId: user }];
      await expect(s.addMembers(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.addMembers([{ roomId: fresh, userId: '' }])).rejects.toThrow(/userId/);
      expect(await s.roomExists(fresh)).toBe(false);
    });

    it('upserts, lists and deletes device tokens; a token moves to its latest user', async () => {
      const s = getStore();
      const u1 = freshRoom('u');
      const u2 = freshRoom('u');
      const tok = `tok-${u1}`;
      await s.upsertDeviceToken(u1, tok, 'android');
      await s.upsertDeviceToken(u1, `${tok}-web`, 'web');
      let list = await s.listDeviceTokens([u1, u2]);
      expect(list.map((t) => [t.userId, t.token, t.platform])).toEqual([
        [u1, tok, 'android'],
        [u1, `${tok}-web`, 'web'],
      ]);
      const firstSeen = list[0].lastSeenAt.getTime();
      await sleep(5);
      await s.upsertDeviceToken(u2, tok, 'ios');
      list = await s.listDeviceTokens([u1, u2]);
      expect(list.map((t) => [t.userId, t.token, t.platform])).toEqual([
        [u1, `${tok}-web`, 'web'],
        [u2, tok, 'ios'],
      ]);
      expect(list[1].lastSeenAt.getTime()).toBeGreaterThanOrEqual(firstSeen);
      expect(await s.deleteDeviceTokens([tok, 'no-such-token'])).toBe(1);
      expect(await s.listDeviceTokens([u2])).toEqual([]);
      expect(await s.listDeviceTokens([])).toEqual([]);
      expect(await s.deleteDeviceTokens([])).toBe(0);
    });

    it('deletes a token only for its own user, and prunes tokens not seen since a time, oldest first, in bounded chunks', async () => {
      const s = getStore();
      const u1 = freshRoom('u');
      const u2 = freshRoom('u');
      await s.upsertDeviceToken(u1, `${u1}-a`, 'android');
      expect(await s.deleteDeviceTokenOf(u2, `${u1}-a`)).toBe(false);
      expect(await s.deleteDeviceTokenOf(u1, `${u1}-a`)).toBe(true);
      expect(await s.deleteDeviceTokenOf(u1, `${u1}-a`)).toBe(false);
      await expect(s.deleteDeviceTokenOf('', 't')).rejects.toBeInstanceOf(InvalidArgumentError);

      // Tokens of earlier tests would be pruned first (oldest first): clear them.
      const start = new Date();
      while ((await s.pruneDeviceTokens(start)) > 0);
      const stale = ['s1', 's2', 's3'].map((t) => `${u1}-${t}`);
      for (const t of stale) {
        await s.upsertDeviceToken(u1, t, 'ios');
        await sleep(3);
      }
      await sleep(5);
      const cutoff = new Date();
      await sleep(5);
      await s.upsertDeviceToken(u2, `${u2}-fresh`, 'web');
      // Re-registering refreshes: this one is no longer stale.
      await s.upsertDeviceToken(u1, stale[2], 'ios');
      expect(await s.pruneDeviceTokens(cutoff, 1)).toBe(1);
      expect((await s.listDeviceTokens([u1])).map((t) => t.token)).toEqual(stale.slice(1));
      expect(await s.pruneDeviceTokens(cutoff)).toBe(1);
      expect(await s.pruneDeviceTokens(cutoff)).toBe(0);
      expect((await s.listDeviceTokens([u1, u2])).map((t) => t.token)).toEqual([stale[2], `${u2}-fresh`]);
      await expect(s.pruneDeviceTokens(cutoff, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('refuses bad arguments with a clear error', async () => {
      const s = getStore();
      await expect(s.lastMessages('', 5)).rejects.toThrow(/roomId/);
      await expect(s.lastMessages('r', -1)).rejects.toThrow(/limit/);
      await expect(s.lastMessages('r', 1.5)).rejects.toThrow(/limit/);
      await expect(s.messagesAfter('r', '', 5)).rejects.toThrow(/afterId/);
      await expect(s.addMember('r\u0000', 'x')).rejects.toThrow(/NUL/);
      await expect(s.upsertDeviceToken('u', 't', 'blackberry' as never)).rejects.toThrow(/platform/);
      // The class survives the worker boundary of the embedded store: the REST API answers 400
      // for InvalidArgumentError by class, on PGlite as on Postgres.
      await expect(s.lastMessages('', 5)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.messagesBefore('r', '', 5)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.addMember('r\u0000', 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.upsertDeviceToken('u', 't', 'blackberry' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      // Limits above the maximum are clamped, not refused.
      expect(await s.lastMessages(freshRoom(), 1_000_000)).toEqual([]);
    });
  });
}

/** After close(), every call fails with StoreUnavailableError. */
export async function expectClosed(s: Store): Promise<void> {
  await expect(s.countMessages()).rejects.toBeInstanceOf(StoreUnavailableError);
  await expect(s.insertBatch([])).rejects.toBeInstanceOf(StoreUnavailableError);
}
