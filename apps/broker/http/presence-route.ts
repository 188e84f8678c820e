/**
 * `GET /api/rooms/:roomId/presence`: the room's members connected to any broker process
 * (members and admins). At most MAX_QUERY_LIMIT members are looked at (by user id); `checked`
 * says how many were.
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import type { Presence } from '../../shared/presence/presence';
import { MAX_QUERY_LIMIT } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import { principalOf } from './request-principal';
import { requireReader } from './room-access';
import { idSchema } from './schemas';

const Online = z
  .object({
    roomId: z.string(),
    online: z.array(z.string()).describe('Members with at least one live connection, by user id'),
    checked: z.number().int().describe('Members looked at'),
    complete: z.boolean().describe('false when the room has more members than were looked at'),
  })
  .describe('The room’s members online');

export function presenceRoute(store: RoomDirectory, presence: Pick<Presence, 'onlineAmong'> | undefined): HttpPlugin {
  return async (app) => {
    app.get(
      '/api/rooms/:roomId/presence',
      {
        schema: {
          summary: 'A room’s members online, on any broker process (members and admins)',
          tags: ['presence'],
          params: z.object({ roomId: idSchema('Room id') }),
          response: { 200: Online, ...errorResponses(400, 401, 403, 429, 503) },
        },
      },
      async (req) => {
        const { roomId } = req.params;
        await requireReader(store, principalOf(req), roomId);
        if (!presence) throw new HttpError(503, 'presence is not available on this process');
        // A full page may hide more members: `complete` says so rather than paging through a huge room.
        const members = await store.listMembers(roomId, MAX_QUERY_LIMIT);
        let online: Set<string>;
        try {
          online = await presence.onlineAmong(members.map((m) => m.userId));
        } catch (err) {
          req.log.warn({ err, roomId }, 'presence lookup failed');
          throw new HttpError(503, 'presence unavailable');
        }
        return { roomId, online: [...online].sort(), checked: members.length, complete: members.length < MAX_QUERY_LIMIT };
      },
    );
  };
}
