/**
 * Rooms:
 *
 *   POST   /api/rooms            {"id"?: "r1", "name": "Team"}   201 the room (the caller owns it and is its first member)
 *   GET    /api/rooms?limit=&after=                             200 {rooms, nextAfter}: the caller's rooms by id
 *   GET    /api/rooms/:roomId                                   200 the room (members and admins)
 *   DELETE /api/rooms/:roomId                                   204 (owner or admin); memberships go, messages stay
 *
 * Callers are identified by the guard of the scope these are registered in (api-guard.ts).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import type { MessageStore } from '../../shared/store/message-store';
import { MAX_ROOM_NAME, type RoomDirectory } from '../../shared/store/room-directory';
import { announceMembership } from './membership-notice';
import { principalOf } from './request-principal';
import { requireManager, requireReader } from './room-access';
import { idSchema, limitSchema, NewRoomIdSchema, NoContent, roomToJson, RoomSchema } from './schemas';

export interface RoomRouteOptions {
  membershipEvents?: MembershipEvents;
  /** Largest JSON body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
  /** Largest page of GET /api/rooms. Default 200. */
  maxPage?: number;
}

const RoomId = idSchema('Room id');
const RoomPage = z
  .object({
    rooms: z.array(RoomSchema).describe('Ordered by id'),
    nextAfter: z.string().nullable().describe('`after` for the next page; null on the last'),
  })
  .describe('Rooms the caller is a member of');

export function roomRoutes(store: RoomDirectory & Pick<MessageStore, 'lastMessages'>, opts: RoomRouteOptions = {}): HttpPlugin {
  const bodyLimit = opts.maxBodyBytes ?? 16 * 1024;
  const maxPage = opts.maxPage ?? 200;

  return async (app) => {
    app.post(
      '/api/rooms',
      {
        bodyLimit,
        schema: {
          summary: 'Create a room: the caller owns it and is its first member',
          tags: ['rooms'],
          body: z.object({
            id: NewRoomIdSchema.optional(),
            name: z.string().trim().min(1, 'must not be empty').max(MAX_ROOM_NAME, `must be at most ${MAX_ROOM_NAME} characters`).refine((s) => !s.includes('\u0000'), 'must not contain NUL').describe('Display name'),
          }),
          response: { 201: RoomSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
        },
      },
      async (req, reply) => {
        const who = principalOf(req);
        const id = req.body.id ?? randomUUID();
        // Messages outlive a deleted room: a new room under the old id would show them to its members.
        if (req.body.id !== undefined && (await store.lastMessages(id, 1)).length > 0 && !(await store.roomExists(id))) {
          throw new HttpError(409, `room id ${id} was used before and its messages remain: choose another`);
        }
        const room = await store.createRoom(id, req.body.name, who.userId);
        if (!room) throw new HttpError(409, `room ${id} exists`);
        // The owner may hold a cached "not a member" from before the room existed.
        await announceMembership(opts.membershipEvents, { roomId: id, userId: who.userId }, req);
        return reply.code(201).send(roomToJson(room));
      },
    );

    app.get(
      '/api/rooms',
      {
        schema: {
          summary: 'The rooms the caller is a member of, by id, a page at a time',
          tags: ['rooms'],
          querystring: z.object({
            limit: limitSchema(maxPage, Math.min(50, maxPage), 'Rooms per page'),
            after: idSchema('The previous page’s nextAfter').optional(),
          }),
          response: { 200: RoomPage, ...errorResponses(400, 401, 403, 429, 503) },
        },
      },
      async (req) => {
        const { limit, after } = req.query;
        const rooms = await store.listRoomsOf(principalOf(req).userId, limit, after);
        return { rooms: rooms.map(roomToJson), nextAfter: rooms.length === limit ? rooms[rooms.length - 1].id : null };
      },
    );

    app.get(
      '/api/rooms/:roomId',
      {
        schema: {
          summary: 'A room (its members and admins)',
          tags: ['rooms'],
          params: z.object({ roomId: RoomId }),
          response: { 200: RoomSchema, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req) => {
        const { roomId } = req.params;
        await requireReader(store, principalOf(req), roomId);
        const room = await store.getRoom(roomId);
        if (!room) throw new HttpError(404, 'no such room');
        return roomToJson(room);
      },
    );

    app.delete(
      '/api/rooms/:roomId',
      {
        schema: {
          summary: 'Delete a room and its memberships (owner or admin); its stored messages stay',
          tags: ['rooms'],
          params: z.object({ roomId: RoomId }),
          response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req, reply) => {
        const { roomId } = req.params;
        await requireManager(store, principalOf(req), roomId);
        if (!(await store.deleteRoom(roomId))) throw new HttpError(404, 'no such room');
        await announceMembership(opts.membershipEvents, { roomId, userId: null }, req);
        return reply.code(204).send();
      },
    );
  };
}
