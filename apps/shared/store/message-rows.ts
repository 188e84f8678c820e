/**
 * OutboundMessage <-> `messages` row. Bodies: Postgres `text` cannot hold NUL and must be valid
 * UTF-8, while a STOMP body may be any bytes (content-length frames). Chat text (valid UTF-8,
 * no NUL) goes to `body`, readable in SQL; anything else is kept exactly in `body_bytes` with
 * `body` = '' (schema.prisma, Message).
 */
import { isUtf8 } from 'node:buffer';
import type { OutboundMessage } from '../message';
import { F_BODY, F_CT, F_DEST, F_HDR, F_NODE, F_SENDER, F_SENT, indexedHeaders, PACK_FIELDS } from '../queue/pack-codec';
import type { PackedRows } from './packed-rows';

// The pack's field offsets, read once: where the sources run as CommonJS (tsx) every read of an
// imported binding is a getter call, too slow for per-row and per-byte loops.
const [BODY, CT, DEST, HDR, NODE, SENDER, SENT, NFIELDS] = [F_BODY, F_CT, F_DEST, F_HDR, F_NODE, F_SENDER, F_SENT, PACK_FIELDS];

export function bodyIsText(body: Uint8Array): boolean {
  return body.indexOf(0) === -1 && isUtf8(body);
}

/** The stored row as read back through Prisma. */
export interface MessageRow {
  id: string;
  roomId: string;
  destination: string;
  senderId: string;
  nodeId: string;
  body: string;
  bodyBytes: Uint8Array | null;
  contentType: string | null;
  headers: unknown;
  createdAt: Date;
}

export function rowToMessage(r: MessageRow): OutboundMessage {
  const headers: Record<string, string> = {};
  if (r.headers && typeof r.headers === 'object' && !Array.isArray(r.headers)) {
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) if (typeof v === 'string') headers[k] = v;
  }
  return {
    id: r.id,
    destination: r.destination,
    roomId: r.roomId,
    senderId: r.senderId,
    nodeId: r.nodeId,
    sentAt: r.createdAt.getTime(),
    contentType: r.contentType,
    headers,
    body: r.bodyBytes ? Buffer.from(r.bodyBytes) : Buffer.from(r.body, 'utf8'),
  };
}

/**
 * Column arrays for the batched `INSERT ... SELECT FROM unnest(...)`. Everything travels as
 * text[] (bytes as base64, headers as JSON text, time as ISO) so the statement works the same
 * through @prisma/adapter-pg and pglite-prisma-adapter.
 */
export interface InsertColumns {
  id: string[];
  roomId: string[];
  destination: string[];
  senderId: string[];
  nodeId: string[];
  body: string[];
  bodyB64: (string | null)[];
  contentType: (string | null)[];
  headers: string[];
  createdAt: string[];
}

export function toColumns(msgs: OutboundMessage[]): InsertColumns {
  const c: InsertColumns = { id: [], roomId: [], destination: [], senderId: [], nodeId: [], body: [], bodyB64: [], contentType: [], headers: [], createdAt: [] };
  for (const m of msgs) {
    const body = Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body);
    const text = bodyIsText(body);
    c.id.push(m.id);
    c.roomId.push(m.roomId!);
    c.destination.push(m.destination);
    c.senderId.push(m.senderId);
    c.nodeId.push(m.nodeId);
    c.body.push(text ? body.toString('utf8') : '');
    c.bodyB64.push(text ? null : body.toString('base64'));
    c.contentType.push(m.contentType ?? null);
    c.headers.push(JSON.stringify(m.headers ?? {}));
    c.createdAt.push(new Date(m.sentAt).toISOString());
  }
  return c;
}

/** The same columns read straight from packed rows (no message objects on the way). */
export function rowsToColumns(rows: PackedRows): InsertColumns {
  const c: InsertColumns = { id: [], roomId: [], destination: [], senderId: [], nodeId: [], body: [], bodyB64: [], contentType: [], headers: [], createdAt: [] };
  for (let r = 0; r < rows.length; r++) {
    const { ix, o } = rows.locate(r);
    const { buf, at } = ix;
    const body = buf.subarray(at[o + BODY], at[o + BODY + 1]);
    const text = bodyIsText(body);
    c.id.push(rows.ids[r]);
    c.roomId.push(rows.roomId(r)!);
    c.destination.push(buf.toString('utf8', at[o + DEST], at[o + DEST + 1]));
    c.senderId.push(buf.toString('utf8', at[o + SENDER], at[o + SENDER + 1]));
    c.nodeId.push(buf.toString('utf8', at[o + NODE], at[o + NODE + 1]));
    c.body.push(text ? body.toString('utf8') : '');
    c.bodyB64.push(text ? null : body.toString('base64'));
    c.contentType.push(at[o + CT] < 0 ? null : buf.toString('utf8', at[o + CT], at[o + CT + 1]));
    c.headers.push(at[o + HDR + 1] === 0 ? '{}' : JSON.stringify(indexedHeaders(ix, o / NFIELDS)));
    c.createdAt.push(new Date(buf.readDoubleLE(at[o + SENT])).toISOString());
  }
  return c;
}

export const INSERT_SQL = `INSERT INTO "messages" ("id", "room_id", "destination", "sender_id", "node_id", "body", "body_bytes", "content_type", "headers", "created_at")
SELECT u.id, u.room_id, u.destination, u.sender_id, u.node_id, u.body, decode(u.body_b64, 'base64'), u.content_type, u.headers::jsonb, u.created_at::timestamptz
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
  AS u(id, room_id, destination, sender_id, node_id, body, body_b64, content_type, headers, created_at)
ON CONFLICT ("id") DO NOTHING`;

export function insertParams(c: InsertColumns): unknown[] {
  return [c.id, c.roomId, c.destination, c.senderId, c.nodeId, c.body, c.bodyB64, c.contentType, c.headers, c.createdAt];
}
