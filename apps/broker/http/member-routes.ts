/**
 * A room's members:
 *
 *   GET    /api/rooms/:roomId/members?limit=               200 {roomId, members}   (members and admins)
 *   POST   /api/rooms/:roomId/members   {"userId": "bob"}  201 added / 200 already (owner or admin)
 *   DELETE /api/rooms/:roomId/members/:userId              204 / 404              (owner, admin, or the member leaving)
 *
 * Every change is announced (MembershipEvents) so brokers drop their cached access answers.
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import { MAX_QUERY_LIMIT } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import { announceMembership } from './membership-notice';
import { principalOf } from './request-principal';
import { requireManager, requireReader } from './room-access';
import { idSchema, limitSchema, NoContent, userIdSchema } from './schemas';

export interface MemberRouteOptions {
  membershipEvents?: MembershipEvents;
  /** Largest JSON body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
}

const RoomId = idSchema('Room id');
const Membership = z.object({ roomId: z.string(), userId: z.string(), added: z.boolean() }).describe('The membership, and whether this call added it');
const Members = z
  .object({ roomId: z.string(), members: z.array(z.object({ userId: z.string(), joinedAt: z.string().describe('ISO 8601') })) })
  .describe('Members ordered by user id');

export function memberRoutes(store: RoomDirectory, opts: MemberRouteOptions = {}): HttpPlugin {
  const bodyLimit = opts.maxBodyBytes ?? 16 * 1024;

  return async (app) => {
    app.get(
      '/api/rooms/:roomId/members',
      {
        schema: {
          summary: 'A room’s members, ordered by user id (members and admins)',
          tags: ['members'],
          params: z.object({ roomId: RoomId }),
          querystring: z.object({ limit: limitSchema(MAX_QUERY_LIMIT, MAX_QUERY_LIMIT, 'Most members to list') }),
          response: { 200: Members, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req) => {
        const { roomId } = req.params;
        await requireReader(store, principalOf(req), roomId);
        const members = await store.listMembers(roomId, req.query.limit);
        // Only an admin gets here without being a member; an empty list may mean no room at all.
        if (members.length === 0 && !(await store.roomExists(roomId))) throw new HttpError(404, 'no such room');
        return { roomId, members: members.map((m) => ({ userId: m.userId, joinedAt: m.joinedAt.toISOString() })) };
      },
    );

    app.post(
      '/api/rooms/:roomId/members',
      {
        bodyLimit,
        schema: {
          summary: 'Add a member (201), or confirm the membership (200): the owner or an admin',
          tags: ['members'],
          params: z.object({ roomId: RoomId }),
          body: z.object({ userId: userIdSchema('The user to add') }),
          response: { 200: Membership, 201: Membership, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
        },
      },
      async (req, reply) => {
        const { roomId } = req.params;
        const { userId } = req.body;
        await requireManager(store, principalOf(req), roomId);
        const added = await store.addMember(roomId, userId);
        if (added) await announceMembership(opts.membershipEvents, { roomId, userId }, req);
        return reply.code(added ? 201 : 200).send({ roomId, userId, added });
      },
    );

    app.delete(
      '/api/rooms/:roomId/members/:userId',
      {
        schema: {
          summary: 'Remove a member: the owner or an admin, or the member leaving',
          tags: ['members'],
          params: z.object({ roomId: RoomId, userId: idSchema('User id') }),
          response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req, reply) => {
        const { roomId, userId } = req.params;
        const who = principalOf(req);
        if (who.userId !== userId || who.admin) await requireManager(store, who, roomId);
        if (!(await store.removeMember(roomId, userId))) throw new HttpError(404, 'not a member');
        await announceMembership(opts.membershipEvents, { roomId, userId }, req);
        return reply.code(204).send();
      },
    );
  };
}
