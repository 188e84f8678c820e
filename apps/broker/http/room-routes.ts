/**
 * The small REST API for rooms, members and device tokens:
 *
 *   POST   /api/rooms                          {"id": "r1"}           201 created / 200 existed
 *   GET    /api/rooms/:roomId/members?limit=                          200 {roomId, members:[{userId,joinedAt}]}
 *   PUT    /api/rooms/:roomId/members/:userId                         201 added / 200 already
 *   DELETE /api/rooms/:roomId/members/:userId                         204 / 404
 *   PUT    /api/users/:userId/devices/:token   {"platform":"android"} 204
 *   DELETE /api/devices/:token                                        204 / 404
 *
 * Who may call it is decided by the hook of the scope it is registered in (the broker's
 * data routes). `onMembershipChange` lets the broker drop cached membership.
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import { MAX_QUERY_LIMIT } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import { idSchema, limitSchema } from './schemas';

export interface RoomRouteOptions {
  onMembershipChange?: (change: { roomId: string; userId: string; member: boolean }) => void;
  /** Largest JSON body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
}

const RoomId = idSchema('Room id');
const UserId = idSchema('User id');
const Token = idSchema('Push device token', 4096);
const Membership = z.object({ roomId: z.string(), userId: z.string(), added: z.boolean() }).describe('The membership, and whether this call added it');
const Room = z.object({ id: z.string(), created: z.boolean() }).describe('The room, and whether this call created it');
const Members = z
  .object({ roomId: z.string(), members: z.array(z.object({ userId: z.string(), joinedAt: z.string().describe('ISO 8601') })) })
  .describe('Members ordered by user id');
const NoContent = z.undefined().describe('Done');

export function roomRoutes(store: RoomDirectory & DeviceTokenStore, opts: RoomRouteOptions = {}): HttpPlugin {
  const bodyLimit = opts.maxBodyBytes ?? 16 * 1024;
  const changed = (roomId: string, userId: string, member: boolean) => opts.onMembershipChange?.({ roomId, userId, member });

  return async (app) => {
    app.post(
      '/api/rooms',
      {
        bodyLimit,
        schema: {
          summary: 'Create a room (201), or confirm it exists (200)',
          tags: ['rooms'],
          body: z.object({ id: RoomId }),
          response: { 200: Room, 201: Room, ...errorResponses(400, 403, 413, 415, 503) },
        },
      },
      async (req, reply) => {
        const { id } = req.body;
        const existed = await store.roomExists(id);
        await store.ensureRoom(id);
        return reply.code(existed ? 200 : 201).send({ id, created: !existed });
      },
    );

    app.get(
      '/api/rooms/:roomId/members',
      {
        schema: {
          summary: 'List a room’s members, ordered by user id',
          tags: ['rooms'],
          params: z.object({ roomId: RoomId }),
          querystring: z.object({ limit: limitSchema(MAX_QUERY_LIMIT, MAX_QUERY_LIMIT, 'Most members to list') }),
          response: { 200: Members, ...errorResponses(400, 403, 404, 503) },
        },
      },
      async (req) => {
        const { roomId } = req.params;
        if (!(await store.roomExists(roomId))) throw new HttpError(404, 'no such room');
        const members = await store.listMembers(roomId, req.query.limit);
        return { roomId, members: members.map((m) => ({ userId: m.userId, joinedAt: m.joinedAt.toISOString() })) };
      },
    );

    app.put(
      '/api/rooms/:roomId/members/:userId',
      {
        schema: {
          summary: 'Add a member (201), or confirm the membership (200); room and user are created if missing',
          tags: ['rooms'],
          params: z.object({ roomId: RoomId, userId: UserId }),
          response: { 200: Membership, 201: Membership, ...errorResponses(400, 403, 415, 503) },
        },
      },
      async (req, reply) => {
        const { roomId, userId } = req.params;
        const added = await store.addMember(roomId, userId);
        if (added) changed(roomId, userId, true);
        return reply.code(added ? 201 : 200).send({ roomId, userId, added });
      },
    );

    app.delete(
      '/api/rooms/:roomId/members/:userId',
      {
        schema: {
          summary: 'Remove a member',
          tags: ['rooms'],
          params: z.object({ roomId: RoomId, userId: UserId }),
          response: { 204: NoContent, ...errorResponses(400, 403, 404, 415, 503) },
        },
      },
      async (req, reply) => {
        const { roomId, userId } = req.params;
        if (!(await store.removeMember(roomId, userId))) throw new HttpError(404, 'not a member');
        changed(roomId, userId, false);
        return reply.code(204).send();
      },
    );

    app.put(
      '/api/users/:userId/devices/:token',
      {
        bodyLimit,
        schema: {
          summary: 'Register or refresh a push device token (a token moves to its latest user)',
          tags: ['devices'],
          params: z.object({ userId: UserId, token: Token }),
          body: z.object({ platform: z.enum(['android', 'ios', 'web']) }),
          response: { 204: NoContent, ...errorResponses(400, 403, 413, 415, 503) },
        },
      },
      async (req, reply) => {
        await store.upsertDeviceToken(req.params.userId, req.params.token, req.body.platform);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/api/devices/:token',
      {
        schema: {
          summary: 'Forget a push device token',
          tags: ['devices'],
          params: z.object({ token: Token }),
          response: { 204: NoContent, ...errorResponses(400, 403, 404, 415, 503) },
        },
      },
      async (req, reply) => {
        if ((await store.deleteDeviceTokens([req.params.token])) === 0) throw new HttpError(404, 'no such token');
        return reply.code(204).send();
      },
    );
  };
}
