/**
 * `POST /demo/token {"user","room"}` → `{"token"}`: lets the demo page run against a broker
 * with JWT_SECRET, for a person at this machine trying the product. Enabled by DEMO_TOKENS
 * (refused in production by the configuration), served to loopback peers only, and it makes
 * the user a member of the room it names, announced like any membership change.
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import type { MembershipEvents } from '../../shared/membership/membership-events';
import type { RoomDirectory } from '../../shared/store/room-directory';
import { isLoopback } from '../loopback';

export interface DemoTokenOptions {
  mint(userId: string): Promise<string>;
  rooms: Pick<RoomDirectory, 'addMember'>;
  membershipEvents?: MembershipEvents;
}

const Name = z.string().regex(/^[A-Za-z0-9_\-.@]{1,64}$/);
const Body = z.object({ user: Name.describe('Who to be'), room: z.string().regex(/^[A-Za-z0-9_\-.~]{1,128}$/).describe('Room to join') });
const Reply = z.object({ token: z.string().describe('HS256 JWT for the CONNECT passcode') });

export function demoTokenRoute(o: DemoTokenOptions): HttpPlugin {
  return async (app) => {
    app.post(
      '/demo/token',
      {
        bodyLimit: 4 * 1024,
        schema: {
          summary: 'A development token for the demo page (DEMO_TOKENS, loopback only)',
          tags: ['demo'],
          body: Body,
          response: { 200: Reply, ...errorResponses(400, 403) },
        },
      },
      async (request) => {
        // request.ip is the socket's peer (trustProxy is off).
        if (!isLoopback(request.ip)) throw new HttpError(403, 'demo tokens are handed out to this machine only', 'forbidden');
        const { user, room } = request.body as z.infer<typeof Body>;
        if (await o.rooms.addMember(room, user)) await o.membershipEvents?.publish({ roomId: room, userId: user });
        return { token: await o.mint(user) };
      },
    );
  };
}
