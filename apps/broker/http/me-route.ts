/** `GET /api/me`: who the API takes the caller to be (a client checks its token with it). */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses } from '../../shared/http/http-errors';
import { principalOf } from './request-principal';

const Me = z
  .object({
    userId: z.string(),
    admin: z.boolean().describe('Holds the admin role: manages and reads every room'),
    mode: z.enum(['jwt', 'development']).describe('How the caller was identified'),
  })
  .describe('The caller');

export function meRoute(mode: 'jwt' | 'development'): HttpPlugin {
  return async (app) => {
    app.get(
      '/api/me',
      { schema: { summary: 'The caller, as the API identifies it', tags: ['users'], response: { 200: Me, ...errorResponses(401, 403, 429) } } },
      async (req) => {
        const { userId, admin } = principalOf(req);
        return { userId, admin, mode };
      },
    );
  };
}
