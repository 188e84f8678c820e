/**
 * The small REST API for rooms, members and device tokens (DESIGN.md "broker" HTTP surface;
 * issue 4 item 5: with auth configured, rooms and users come only from the API).
 *
 *   POST   /api/rooms                          {"id": "r1"}           201 created / 200 existed
 *   GET    /api/rooms/:roomId/members?limit=                          200 {members:[{userId,joinedAt}]}
 *   PUT    /api/rooms/:roomId/members/:userId                         201 added / 200 already
 *   DELETE /api/rooms/:roomId/members/:userId                         204 / 404
 *   PUT    /api/users/:userId/devices/:token   {"platform":"android"} 204
 *   DELETE /api/devices/:token                                        204 / 404
 *
 * Who may call it is the caller's decision (`guard`); by default only loopback clients, like
 * the broker without auth. `onMembershipChange` lets the broker drop cached membership
 * (DESIGN.md "Identity and access": cached per connection, invalidated on change).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson, type HttpRoute } from '../../shared/http/router';
import { MAX_QUERY_LIMIT, StoreUnavailableError } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import { InvalidArgumentError } from '../../shared/store/validate';

export interface RoomRouteOptions {
  /** Resolve true to allow the request. Default: loopback clients only. */
  guard?: (req: IncomingMessage) => boolean | Promise<boolean>;
  onMembershipChange?: (change: { roomId: string; userId: string; member: boolean }) => void;
  /** Largest JSON body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
export const loopbackOnly = (req: IncomingMessage) => LOOPBACK.has(req.socket.remoteAddress ?? '');

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readJson(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        // Answer now and close the connection after the response; discard the rest meanwhile.
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `body larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size === 0) return resolve({});
      try {
        const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'body must be a JSON object'));
      }
    });
  });
}

function param(params: Record<string, string>, name: string): string {
  try {
    return decodeURIComponent(params[name] ?? '');
  } catch {
    throw new HttpError(400, `${name} is not valid percent-encoding`);
  }
}

export function roomRoutes(store: RoomDirectory & DeviceTokenStore, opts: RoomRouteOptions = {}): HttpRoute[] {
  const guard = opts.guard ?? loopbackOnly;
  const maxBody = opts.maxBodyBytes ?? 16 * 1024;
  const changed = (roomId: string, userId: string, member: boolean) => opts.onMembershipChange?.({ roomId, userId, member });

  type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => Promise<void>;
  const wrap =
    (h: Handler): HttpRoute['handler'] =>
    async (req, res, params, url) => {
      try {
        if (!(await guard(req))) throw new HttpError(403, 'not allowed');
        await h(req, res, params, url);
      } catch (err) {
        if (res.headersSent) return;
        if (err instanceof HttpError) {
          if (err.status === 413) res.setHeader('connection', 'close');
          sendError(res, err.status, err.message);
        }
        else if (err instanceof InvalidArgumentError) sendError(res, 400, err.message);
        else if (err instanceof StoreUnavailableError) sendError(res, 503, 'store unavailable');
        else sendError(res, 500, 'request failed');
      }
    };

  return [
    {
      method: 'POST',
      path: '/api/rooms',
      handler: wrap(async (req, res) => {
        const body = await readJson(req, maxBody);
        if (typeof body.id !== 'string') throw new HttpError(400, 'body.id (room id) must be a string');
        const existed = await store.roomExists(body.id);
        await store.ensureRoom(body.id);
        sendJson(res, existed ? 200 : 201, { id: body.id, created: !existed });
      }),
    },
    {
      method: 'GET',
      path: /^\/api\/rooms\/(?<roomId>[^/]+)\/members$/,
      handler: wrap(async (_req, res, params, url) => {
        const roomId = param(params, 'roomId');
        const raw = url.searchParams.get('limit');
        const limit = raw === null ? MAX_QUERY_LIMIT : Number(raw);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) throw new HttpError(400, `limit must be an integer between 1 and ${MAX_QUERY_LIMIT}`);
        if (!(await store.roomExists(roomId))) throw new HttpError(404, 'no such room');
        const members = await store.listMembers(roomId, limit);
        sendJson(res, 200, { roomId, members: members.map((m) => ({ userId: m.userId, joinedAt: m.joinedAt.toISOString() })) });
      }),
    },
    {
      method: 'PUT',
      path: /^\/api\/rooms\/(?<roomId>[^/]+)\/members\/(?<userId>[^/]+)$/,
      handler: wrap(async (_req, res, params) => {
        const [roomId, userId] = [param(params, 'roomId'), param(params, 'userId')];
        const added = await store.addMember(roomId, userId);
        if (added) changed(roomId, userId, true);
        sendJson(res, added ? 201 : 200, { roomId, userId, added });
      }),
    },
    {
      method: 'DELETE',
      path: /^\/api\/rooms\/(?<roomId>[^/]+)\/members\/(?<userId>[^/]+)$/,
      handler: wrap(async (_req, res, params) => {
        const [roomId, userId] = [param(params, 'roomId'), param(params, 'userId')];
        if (!(await store.removeMember(roomId, userId))) throw new HttpError(404, 'not a member');
        changed(roomId, userId, false);
        res.writeHead(204).end();
      }),
    },
    {
      method: 'PUT',
      path: /^\/api\/users\/(?<userId>[^/]+)\/devices\/(?<token>[^/]+)$/,
      handler: wrap(async (req, res, params) => {
        const body = await readJson(req, maxBody);
        await store.upsertDeviceToken(param(params, 'userId'), param(params, 'token'), body.platform as never);
        res.writeHead(204).end();
      }),
    },
    {
      method: 'DELETE',
      path: /^\/api\/devices\/(?<token>[^/]+)$/,
      handler: wrap(async (_req, res, params) => {
        if ((await store.deleteDeviceTokens([param(params, 'token')])) === 0) throw new HttpError(404, 'no such token');
        res.writeHead(204).end();
      }),
    },
  ];
}
