/**
 * Who may do what with a room over REST: members (and admins) read it; its owner (and admins)
 * manage it. A caller who is not a member is refused the same way whether or not the room
 * exists, so room ids cannot be probed; only an admin learns that a room is missing. An admin
 * reads any room id, with or without a room row: messages outlive a deleted room, and a room
 * made on first use gets its row shortly after its first messages.
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../shared/http/http-errors';
import type { Room, RoomDirectory } from '../../shared/store/room-directory';
import { principalOf, type RequestPrincipal } from './request-principal';

const forbidden = (reason: string) => new HttpError(403, reason, 'forbidden');
const noSuchRoom = () => new HttpError(404, 'no such room');

/** Read access: a member or an admin. */
export async function requireReader(rooms: RoomDirectory, who: RequestPrincipal, roomId: string): Promise<void> {
  if (who.admin) return;
  if (!(await rooms.isMember(roomId, who.userId))) throw forbidden(`not a member of room ${roomId}`);
}

/** Manage access (delete, add or remove members): the owner or an admin. Returns the room. */
export async function requireManager(rooms: RoomDirectory, who: RequestPrincipal, roomId: string): Promise<Room> {
  const room = await rooms.getRoom(roomId);
  if (who.admin) {
    if (!room) throw noSuchRoom();
    return room;
  }
  if (!room || room.ownerId !== who.userId) {
    // A member learns only that they may not manage it; a stranger, nothing about the room.
    const member = room !== null && (await rooms.isMember(roomId, who.userId));
    throw forbidden(member ? `only the owner of room ${roomId} or an admin may manage it` : `not a member of room ${roomId}`);
  }
  return room;
}

/**
 * The room messages' rule as a request check, for routes about a room that hold no store of
 * their own (trending words): members and admins read a room; any identified caller reads
 * across rooms (`roomId` null).
 */
export function roomReaders(rooms: RoomDirectory | undefined): (request: FastifyRequest, roomId: string | null) => Promise<void> {
  return async (request, roomId) => {
    const who = principalOf(request);
    if (roomId === null || who.admin) return;
    if (!rooms) throw new HttpError(503, 'room membership cannot be checked: this process has no database');
    await requireReader(rooms, who, roomId);
  };
}
