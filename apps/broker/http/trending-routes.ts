/**
 * Trending words over a sliding window of minutes:
 *   GET /api/rooms/:roomId/trending?window=5m&limit=10   one room
 *   GET /api/trending?window=5m&limit=10                 across rooms
 * Answered from the minute buckets the consumer counts into (shared/insights): the current
 * minute and the W − 1 before it, summed.
 *
 * Who may ask is the caller's rule (`authorize`), the same as for the room's messages: it
 * throws an HttpError (401 / 403) to refuse, and is given null for the across-rooms route.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses, HttpError } from '../../shared/http/http-errors';
import { MAX_WINDOW_MINUTES, type TrendingReader, type TrendingResult } from '../../shared/insights/trending-store';
import { idSchema, limitSchema } from './schemas';

/** Resolves to allow; throws HttpError(401 | 403) to refuse. roomId null: the across-rooms route. */
export type TrendingAuthorize = (request: FastifyRequest, roomId: string | null) => Promise<void>;

/** Lets every request through: for processes whose data routes are already behind another rule. */
export const allowAnyRequest: TrendingAuthorize = async () => {};

export interface TrendingRouteOptions {
  authorize: TrendingAuthorize;
  /** Words when `limit` is absent (default 10) and the most a request may ask for (default 100). */
  defaultLimit?: number;
  maxLimit?: number;
}

const windowError = `must be minutes from 1 to ${MAX_WINDOW_MINUTES}: 5, 5m or 1h`;
const WindowParam = z
  .string()
  .regex(/^(?:[1-9][0-9]?m?|1h)$/, windowError)
  .default('5m')
  .transform((v) => (v === '1h' ? 60 : Number.parseInt(v, 10)))
  .refine((m) => m <= MAX_WINDOW_MINUTES, windowError)
  .describe('Window: the current minute and the ones before it, `5m` (default), `5`, up to `60m` or `1h`');

const Trending = z
  .object({
    roomId: z.string().nullable().describe('The room; null across rooms'),
    windowMinutes: z.number().int(),
    from: z.string().describe('ISO 8601 start of the oldest minute summed'),
    to: z.string().describe('ISO 8601 time of the answer'),
    words: z.array(z.object({ word: z.string(), count: z.number().int().describe('Messages that used the word') })).describe('Most used first'),
  })
  .describe('Trending words of a window');

export function trendingRoutes(store: TrendingReader, opts: TrendingRouteOptions): HttpPlugin {
  const maxLimit = opts.maxLimit ?? 100;
  const Query = z.object({ window: WindowParam, limit: limitSchema(maxLimit, Math.min(opts.defaultLimit ?? 10, maxLimit), 'Words to return') });
  const answer = async (roomId: string | null, windowMinutes: number, limit: number) => {
    let r: TrendingResult;
    try {
      r = await store.top({ roomId, windowMinutes, limit });
    } catch {
      throw new HttpError(503, 'trending words unavailable');
    }
    return { roomId, windowMinutes, from: new Date(r.fromMs).toISOString(), to: new Date(r.toMs).toISOString(), words: r.words };
  };

  return async (app) => {
    app.get(
      '/api/rooms/:roomId/trending',
      {
        schema: {
          summary: 'Most used words of a room over the last minutes',
          tags: ['insights'],
          params: z.object({ roomId: idSchema('Room id') }),
          querystring: Query,
          response: { 200: Trending, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        await opts.authorize(req, req.params.roomId);
        return answer(req.params.roomId, req.query.window, req.query.limit);
      },
    );
    app.get(
      '/api/trending',
      {
        schema: {
          summary: 'Most used words across all rooms over the last minutes',
          tags: ['insights'],
          querystring: Query,
          response: { 200: Trending, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        await opts.authorize(req, null);
        return answer(null, req.query.window, req.query.limit);
      },
    );
  };
}
