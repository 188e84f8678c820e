/**
 * `GET /api/dead-letters`: the embedded dead letters' reasons and message ids, newest last.
 * The broker mounts it for admins only (`adminOnly`, request-principal.ts).
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses } from '../../shared/http/http-errors';
import type { DeadLetter } from '../../shared/queue/pack-source';
import { limitSchema } from './schemas';

export interface DeadLetterList {
  list(): readonly DeadLetter[];
}

const Letters = z
  .object({
    total: z.number().int(),
    letters: z.array(
      z.object({
        stage: z.string().describe('Which stage gave up: decode or store'),
        reason: z.string(),
        messageIds: z.array(z.string()),
        bytes: z.number().int(),
      }),
    ),
  })
  .describe('How many letters there are, and the newest');

/** Reasons and ids only: bodies stay out of an unauthenticated HTTP answer. */
export function deadLettersRoute(dead: DeadLetterList): HttpPlugin {
  return async (app) => {
    app.get(
      '/api/dead-letters',
      {
        schema: {
          summary: 'The embedded pipeline’s dead letters (reasons and message ids), newest last',
          tags: ['dead-letters'],
          querystring: z.object({ limit: limitSchema(1_000, 100, 'Most letters to list (the newest)') }),
          response: { 200: Letters, ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (req) => {
        const all = dead.list();
        const letters = all.slice(-req.query.limit).map((l) => ({ stage: l.stage, reason: l.reason, messageIds: l.messageIds, bytes: l.body.length }));
        return { total: all.length, letters };
      },
    );
  };
}
