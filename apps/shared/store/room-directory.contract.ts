/**
 * The RoomDirectory's rooms with names and owners (what the REST API needs), run against every
 * Store implementation beside the message contract (postgres-store.test.ts, pglite-store.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { freshRoom, makeMessages } from './message-store.contract';
import type { Store } from './store';
import { InvalidArgumentError } from './validate';

export function describeRoomDirectoryContract(name: string, getStore: () => Store): void {
  describe(`RoomDirectory contract: ${name}`, () => {
    it('creates a room with its name and owner, the owner its first member; an existing id changes nothing', async () => {
      const s = getStore();
      const id = freshRoom('own');
      const owner = freshRoom('owner');
      const before = Date.now();
      const room = await s.createRoom(id, 'Team 🚀', owner);
      expect(room).toEqual({ id, name: 'Team 🚀', ownerId: owner, createdAt: expect.any(Date) });
      expect(room!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(await s.isMember(id, owner)).toBe(true);
      expect(await s.getRoom(id)).toEqual(room);

      expect(await s.createRoom(id, 'Other', 'mallory')).toBeNull();
      expect(await s.getRoom(id)).toEqual(room);
      expect(await s.isMember(id, 'mallory')).toBe(false);
      expect(await s.getRoom(freshRoom('none'))).toBeNull();
    });

    it('shows rooms made on first use without name or owner', async () => {
      const s = getStore();
      const id = freshRoom('first');
      await s.addMember(id, 'bob');
      expect(await s.getRoom(id)).toEqual({ id, name: null, ownerId: null, createdAt: expect.any(Date) });
    });

    it('lists the rooms of a member by id, a page at a time', async () => {
      const s = getStore();
      const user = freshRoom('lister');
      const ids = [freshRoom('la'), freshRoom('lb'), freshRoom('lc')].sort();
      await s.createRoom(ids[1], 'b', user);
      await s.createRoom(ids[0], 'a', 'someone-else');
      await s.addMember(ids[0], user);
      await s.addMember(ids[2], user);
      await s.createRoom(freshRoom('ld'), 'not mine', 'someone-else');

      const all = await s.listRoomsOf(user, 10);
      expect(all.map((r) => r.id)).toEqual(ids);
      expect(all.map((r) => r.name)).toEqual(['a', 'b', null]);
      expect(all[0].ownerId).toBe('someone-else');
      const first = await s.listRoomsOf(user, 2);
      expect(first.map((r) => r.id)).toEqual(ids.slice(0, 2));
      expect((await s.listRoomsOf(user, 2, first[1].id)).map((r) => r.id)).toEqual(ids.slice(2));
      expect(await s.listRoomsOf(user, 2, ids[2])).toEqual([]);
      expect(await s.listRoomsOf(user, 0)).toEqual([]);
      expect(await s.listRoomsOf(freshRoom('nobody'), 10)).toEqual([]);
    });

    it('deletes a room with its memberships; its stored messages stay', async () => {
      const s = getStore();
      const id = freshRoom('del');
      const owner = freshRoom('owner');
      await s.createRoom(id, 'doomed', owner);
      await s.addMember(id, 'amy');
      await s.insertBatch(makeMessages(id, 3));
      expect(await s.deleteRoom(id)).toBe(true);
      expect(await s.deleteRoom(id)).toBe(false);
      expect(await s.getRoom(id)).toBeNull();
      expect(await s.roomExists(id)).toBe(false);
      expect(await s.isMember(id, owner)).toBe(false);
      expect(await s.isMember(id, 'amy')).toBe(false);
      expect(await s.listRoomsOf(owner, 10)).toEqual([]);
      expect(await s.countMessages(id)).toBe(3);
    });

    it('refuses bad arguments before the database', async () => {
      const s = getStore();
      await expect(s.createRoom('', 'n', 'u')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.createRoom(freshRoom(), '', 'u')).rejects.toThrow(/name/);
      await expect(s.createRoom(freshRoom(), 'x'.repeat(201), 'u')).rejects.toThrow(/name/);
      await expect(s.createRoom(freshRoom(), 'n', 'u\u0000')).rejects.toThrow(/ownerId/);
      await expect(s.getRoom('')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.listRoomsOf('u', -1)).rejects.toThrow(/limit/);
      await expect(s.listRoomsOf('u', 5, '')).rejects.toThrow(/afterRoomId/);
      await expect(s.deleteRoom('r\u0000')).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
}
