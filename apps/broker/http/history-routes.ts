/**
 * HTTP page-through of a room's history:
 *   GET /api/rooms/:roomId/messages?before=<messageId>&limit=<n>
 * Reads the store (Postgres), newest page first; each page is oldest-first. The response's
 * `nextBefore` is the id to pass as `before` for the previous (older) page, null at the start.
 * Bodies are returned as UTF-8 text when they are text, else base64 (`bodyEncoding`).
 * Members of the room and admins only.
 */
import { z } from 'zod';
import type { HttpPlugin } from '../../shared/http/create-http-server';
import { errorResponses } from '../../shared/http/http-errors';
import type { OutboundMessage } from '../../shared/message';
import { MAX_QUERY_LIMIT, type MessageStore } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import { bodyIsText } from '../../shared/store/message-rows';
import { principalOf } from './request-principal';
import { requireReader } from './room-access';
import { idSchema, limitSchema } from './schemas';

export interface HistoryRouteOptions {
  /** Page size when `limit` is absent. Default 50. */
  defaultLimit?: number;
  /** Largest accepted `limit`. Default 200 (never above MAX_QUERY_LIMIT). */
  maxLimit?: number;
}

const StoredMessage = z.object({
  id: z.string(),
  roomId: z.string().nullable(),
  destination: z.string(),
  senderId: z.string(),
  sentAt: z.string().describe('ISO 8601 time the broker accepted it'),
  contentType: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
});

const Page = z
  .object({
    roomId: z.string(),
    messages: z.array(StoredMessage).describe('Oldest first'),
    nextBefore: z.string().nullable().describe('`before` for the previous (older) page; null at the start of the room'),
  })
  .describe('One page of the room’s messages');

export function messageToJson(m: OutboundMessage): z.infer<typeof StoredMessage> {
  const text = bodyIsText(m.body);
  return {
    id: m.id,
    roomId: m.roomId,
    destination: m.destination,
    senderId: m.senderId,
    sentAt: new Date(m.sentAt).toISOString(),
    contentType: m.contentType,
    headers: m.headers,
    body: text ? m.body.toString('utf8') : m.body.toString('base64'),
    bodyEncoding: text ? 'utf8' : 'base64',
  };
}

export function historyRoutes(store: MessageStore & RoomDirectory, opts: HistoryRouteOptions = {}): HttpPlugin {
  const maxLimit = Math.min(opts.maxLimit ?? 200, MAX_QUERY_LIMIT);
  const defaultLimit = Math.min(opts.defaultLimit ?? 50, maxLimit);
  const Query = z.object({
    before: z
      .string()
      .regex(/^[A-Za-z0-9_.\-]{0,128}$/, 'must be a message id (letters, digits, _ . -; at most 128)')
      .optional()
      .describe('Page back from this message id (the previous page’s nextBefore)'),
    limit: limitSchema(maxLimit, defaultLimit, 'Messages per page'),
  });

  return async (app) => {
    app.get(
      '/api/rooms/:roomId/messages',
      {
        schema: {
          summary: 'Page back through a room’s stored messages, newest page first (members and admins)',
          tags: ['history'],
          params: z.object({ roomId: idSchema('Room id') }),
          querystring: Query,
          response: { 200: Page, ...errorResponses(400, 401, 403, 429, 503) },
        },
      },
      async (req) => {
        const { roomId } = req.params;
        const { before, limit } = req.query;
        await requireReader(store, principalOf(req), roomId);
        const page = await store.messagesBefore(roomId, before ? before : null, limit);
        return { roomId, messages: page.map(messageToJson), nextBefore: page.length === limit ? page[0].id : null };
      },
    );
  };
}
