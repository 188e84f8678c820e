/**
 * HTTP page-through of a room's history (issue 4 item 6):
 *   GET /api/rooms/:roomId/messages?before=<messageId>&limit=<n>
 * Reads Postgres (the store), newest page first; each page is oldest-first. The response's
 * `nextBefore` is the id to pass as `before` for the previous (older) page, null at the start.
 * Bodies are returned as UTF-8 text when they are text, else base64 (`bodyEncoding`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, type HttpRoute } from '../../shared/http/router';
import type { OutboundMessage } from '../../shared/message';
import { MAX_QUERY_LIMIT, StoreUnavailableError, type MessageStore } from '../../shared/store/message-store';
import { bodyIsText } from '../../shared/store/message-rows';

export interface HistoryRouteOptions {
  /** Page size when `limit` is absent. Default 50. */
  defaultLimit?: number;
  /** Largest accepted `limit`. Default 200 (never above MAX_QUERY_LIMIT). */
  maxLimit?: number;
}

const ID_RE = /^[A-Za-z0-9_.\-]{1,128}$/;

export function messageToJson(m: OutboundMessage) {
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

export function historyRoutes(store: MessageStore, opts: HistoryRouteOptions = {}): HttpRoute[] {
  const maxLimit = Math.min(opts.maxLimit ?? 200, MAX_QUERY_LIMIT);
  const defaultLimit = Math.min(opts.defaultLimit ?? 50, maxLimit);

  async function handler(_req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL): Promise<void> {
    let roomId: string;
    try {
      roomId = decodeURIComponent(params.roomId ?? '');
    } catch {
      return sendError(res, 400, 'roomId is not valid percent-encoding');
    }
    if (roomId === '' || roomId.length > 256 || roomId.includes('\u0000')) return sendError(res, 400, 'roomId must be 1-256 characters');

    const before = url.searchParams.get('before');
    if (before !== null && before !== '' && !ID_RE.test(before)) return sendError(res, 400, 'before must be a message id (letters, digits, _ . -; at most 128)');

    const rawLimit = url.searchParams.get('limit');
    let limit = defaultLimit;
    if (rawLimit !== null) {
      if (!/^\d{1,6}$/.test(rawLimit)) return sendError(res, 400, `limit must be an integer between 1 and ${maxLimit}`);
      limit = Number(rawLimit);
      if (limit < 1 || limit > maxLimit) return sendError(res, 400, `limit must be an integer between 1 and ${maxLimit}`);
    }

    try {
      const page = await store.messagesBefore(roomId, before === '' ? null : before, limit);
      sendJson(res, 200, {
        roomId,
        messages: page.map(messageToJson),
        nextBefore: page.length === limit ? page[0].id : null,
      });
    } catch (err) {
      if (err instanceof StoreUnavailableError) return sendError(res, 503, 'history store unavailable');
      sendError(res, 500, 'history query failed');
    }
  }

  return [{ method: 'GET', path: /^\/api\/rooms\/(?<roomId>[^/]+)\/messages$/, handler }];
}
