/**
 * `POST /api/users/:userId/messages {"queue": "notices", "body": "...", "contentType"?}`: send
 * to every connection of that user subscribed to `/user/queue/{queue}`, on any broker process.
 * The caller is the sender (`x-sender`). Admins only, unless configured open to any
 * authenticated user (API_USER_MESSAGES=any).
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import { queueNameProblem } from '../hub/user-destinations';
import { principalOf } from './request-principal';
import { userIdSchema } from './schemas';

/** Hands a message to the broker for one user's queue; resolves once it is accepted, with its message id. */
export type SendToUser = (userId: string, queue: string, body: Buffer, contentType: string | null, senderId: string) => { id: string } | Promise<{ id: string }>;

export interface UserMessageRouteOptions {
  /** Who may send: `admin` (default) or `any` authenticated user. */
  allow?: 'admin' | 'any';
  /** Largest JSON body accepted. Default 64 KiB. */
  maxBodyBytes?: number;
}

const Sent = z.object({ id: z.string().describe('The message id') }).describe('Accepted for delivery');

export function userMessageRoute(send: SendToUser | undefined, opts: UserMessageRouteOptions = {}): HttpPlugin {
  const bodyLimit = opts.maxBodyBytes ?? 64 * 1024;
  const allow = opts.allow ?? 'admin';

  return async (app) => {
    app.post(
      '/api/users/:userId/messages',
      {
        bodyLimit,
        schema: {
          summary: 'Send a message to one user’s /user/queue/{queue} on all of its connections (admins, unless configured open)',
          tags: ['users'],
          params: z.object({ userId: userIdSchema('The recipient') }),
          body: z.object({
            queue: z
              .string()
              .refine((name) => queueNameProblem(name) === null, 'must be 1-128 of [A-Za-z0-9_-.]')
              .describe('Queue name: the client subscribes to /user/queue/{queue}'),
            body: z.string().describe('Message body (UTF-8 text)'),
            contentType: z
              .string()
              .regex(/^[^\s:]{1,128}$/, 'must be 1-128 characters without spaces or colons')
              .optional()
              .describe('content-type of the MESSAGE; default text/plain'),
          }),
          response: { 202: Sent, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      async (req, reply) => {
        const who = principalOf(req);
        if (allow === 'admin' && !who.admin) throw new HttpError(403, 'only an admin may send to a user (API_USER_MESSAGES=admin)', 'forbidden');
        if (!send) throw new HttpError(503, 'user destinations are not available on this process');
        const { queue, body, contentType } = req.body;
        const sent = await send(req.params.userId, queue, Buffer.from(body, 'utf8'), contentType ?? 'text/plain', who.userId);
        return reply.code(202).send({ id: sent.id });
      },
    );
  };
}
