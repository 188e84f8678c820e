/** `GET /api/dead-letters`: the embedded dead letters' reasons and message ids, newest last. */
import type { DeadLetter } from '../../shared/queue/pack-source';
import { sendJson, type HttpRoute } from '../../shared/http/router';

export interface DeadLetterList {
  list(): readonly DeadLetter[];
}

/** Reasons and ids only: bodies stay out of an unauthenticated HTTP answer. */
export function deadLettersRoute(dead: DeadLetterList): HttpRoute {
  return {
    method: 'GET',
    path: '/api/dead-letters',
    handler: (_req, res, _params, url) => {
      const limit = Math.max(1, Math.min(1_000, Number(url.searchParams.get('limit')) || 100));
      const letters = dead.list().slice(-limit).map((l) => ({ stage: l.stage, reason: l.reason, messageIds: l.messageIds, bytes: l.body.length }));
      sendJson(res, 200, { total: dead.list().length, letters });
    },
  };
}
