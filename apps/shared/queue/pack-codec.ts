/**
 * Pack codec: many OutboundMessages in one compact, versioned binary buffer.
 *
 * Why packs: with publisher confirms RabbitMQ moves ~8k AMQP messages/s here, but 200k+ chat
 * messages/s when ~100 ride in one AMQP message (apps/README.md "Measured facts"). The same
 * bytes become one Redis Stream entry, so the consumer never re-encodes a pack.
 *
 * Layout (version 1), all integers unsigned LEB128 varints unless noted:
 *   magic 0x53 0x42 ("SB"), version byte (1), count
 *   per message:
 *     str id, str destination, optStr roomId, str senderId, str nodeId,
 *     sentAt (float64 little-endian, 8 bytes), optStr contentType,
 *     headerCount, headerCount × (str name, str value),
 *     bodyLength, body bytes
 *   str    = byteLength, UTF-8 bytes
 *   optStr = 0 for null, else byteLength + 1, UTF-8 bytes
 * Decoding checks every length against the buffer and throws PackDecodeError: a corrupt
 * pack is dead-lettered by the consumer, never a crash.
 */
import type { OutboundMessage } from '../message';

const MAGIC0 = 0x53;
const MAGIC1 = 0x42;
export const PACK_VERSION = 1;
/** Content type set on AMQP messages carrying a pack. */
export const PACK_CONTENT_TYPE = 'application/vnd.stompbox.pack.v1';

export class PackDecodeError extends Error {
  constructor(detail: string) {
    super(`invalid pack: ${detail}`);
    this.name = 'PackDecodeError';
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function strSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return varintSize(n) + n;
}

function optStrSize(s: string | null): number {
  if (s === null) return 1;
  const n = Buffer.byteLength(s, 'utf8');
  return varintSize(n + 1) + n;
}

/** Encoded size of one message inside a pack (used to seal packs by size before encoding). */
export function messageSize(m: OutboundMessage): number {
  let size = strSize(m.id) + strSize(m.destination) + optStrSize(m.roomId) + strSize(m.senderId) + strSize(m.nodeId) + 8;
  size += optStrSize(m.contentType);
  const names = Object.keys(m.headers);
  size += varintSize(names.length);
  for (const k of names) size += strSize(k) + strSize(m.headers[k]);
  size += varintSize(m.body.length) + m.body.length;
  return size;
}

/** Bytes of the pack header for `count` messages. */
export function packHeaderSize(count: number): number {
  return 3 + varintSize(count);
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
  optStr(s: string | null): void {
    if (s === null) {
      this.buf[this.pos++] = 0;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n + 1);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }
}

/**
 * Encode messages into one pack. `sizeHint` (sum of messageSize) saves a pass when the
 * caller already tracked sizes.
 */
export function encodePack(msgs: readonly OutboundMessage[], sizeHint?: number): Buffer {
  let total = packHeaderSize(msgs.length);
  if (sizeHint === undefined) for (const m of msgs) total += messageSize(m);
  else total += sizeHint;
  const w = new Writer(Buffer.allocUnsafe(total));
  w.buf[0] = MAGIC0;
  w.buf[1] = MAGIC1;
  w.buf[2] = PACK_VERSION;
  w.pos = 3;
  w.varint(msgs.length);
  for (const m of msgs) {
    w.str(m.id);
    w.str(m.destination);
    w.optStr(m.roomId);
    w.str(m.senderId);
    w.str(m.nodeId);
    w.buf.writeDoubleLE(m.sentAt, w.pos);
    w.pos += 8;
    w.optStr(m.contentType);
    const names = Object.keys(m.headers);
    w.varint(names.length);
    for (const k of names) {
      w.str(k);
      w.str(m.headers[k]);
    }
    w.varint(m.body.length);
    m.body.copy(w.buf, w.pos);
    w.pos += m.body.length;
  }
  if (w.pos !== total) throw new Error(`pack size mismatch: wrote ${w.pos} of ${total} bytes`);
  return w.buf;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) throw new PackDecodeError(`truncated ${what} at byte ${this.pos}`);
  }
  varint(what: string): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1, what);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new PackDecodeError(`varint too long for ${what} at byte ${this.pos}`);
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  str(what: string): string {
    const n = this.varint(what);
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  optStr(what: string): string | null {
    const n = this.varint(what);
    if (n === 0) return null;
    this.need(n - 1, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n - 1);
    this.pos += n - 1;
    return s;
  }
}

/**
 * Decode a pack. Bodies are copied out so a message does not pin the whole pack buffer,
 * unless `copyBodies` is false (the caller drops the pack and its messages together).
 * Throws PackDecodeError on anything malformed.
 */
/** Check a pack's magic and version and read its message count; the reader is left after it. */
function openPack(buf: Buffer): { r: Reader; count: number } {
  if (!Buffer.isBuffer(buf)) throw new PackDecodeError('not a buffer');
  if (buf.length < 4 || buf[0] !== MAGIC0 || buf[1] !== MAGIC1) throw new PackDecodeError('bad magic');
  if (buf[2] !== PACK_VERSION) throw new PackDecodeError(`unsupported version ${buf[2]}`);
  const r = new Reader(buf);
  r.pos = 3;
  const count = r.varint('count');
  // Every message takes at least 15 bytes: refuse absurd counts before allocating.
  if (count * 15 > buf.length) throw new PackDecodeError(`count ${count} exceeds pack size`);
  return { r, count };
}

export function decodePack(buf: Buffer, copyBodies = true): OutboundMessage[] {
  const { r, count } = openPack(buf);
  const out: OutboundMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = r.str('id');
    const destination = r.str('destination');
    const roomId = r.optStr('roomId');
    const senderId = r.str('senderId');
    const nodeId = r.str('nodeId');
    r.need(8, 'sentAt');
    const sentAt = buf.readDoubleLE(r.pos);
    r.pos += 8;
    const contentType = r.optStr('contentType');
    const headerCount = r.varint('headerCount');
    if (headerCount * 2 > buf.length - r.pos) throw new PackDecodeError(`header count ${headerCount} exceeds pack size`);
    const headers: Record<string, string> = Object.create(null);
    for (let h = 0; h < headerCount; h++) {
      const k = r.str('header name');
      const v = r.str('header value');
      if (!(k in headers)) headers[k] = v;
    }
    const bodyLength = r.varint('bodyLength');
    const raw = r.bytes(bodyLength, 'body');
    const body = copyBodies ? Buffer.from(raw) : raw;
    out[i] = { id, destination, roomId, senderId, nodeId, sentAt, contentType, headers, body };
  }
  if (r.pos !== buf.length) throw new PackDecodeError(`${buf.length - r.pos} trailing bytes`);
  return out;
}

/** Where one message sits inside a pack, with the two fields needed to route it. */
export interface PackedMessageRef {
  id: string;
  roomId: string | null;
  /** Byte range of the message's encoding inside the pack. */
  start: number;
  end: number;
}

/**
 * Byte offsets of every field of every message of a pack, `PACK_FIELDS` int32s per message
 * (see the F_* constants; -1 marks a null optional string). With them a consumer reads only
 * the fields it needs, or copies field bytes straight into another encoding (a COPY row),
 * without materialising message objects.
 */
export interface PackIndex {
  buf: Buffer;
  count: number;
  ids: string[];
  roomIds: (string | null)[];
  at: Int32Array;
}

export const F_START = 0;
export const F_ID = 1;
export const F_DEST = 3;
export const F_ROOM = 5;
export const F_SENDER = 7;
export const F_NODE = 9;
/** Offset of the 8-byte sentAt (float64 LE); the next slot is unused. */
export const F_SENT = 11;
export const F_CT = 13;
/** Offset of the first header name and the header count. */
export const F_HDR = 15;
export const F_BODY = 17;
/** Start and end of the body: the end is also the end of the message. */
export const PACK_FIELDS = 19;

/**
 * Indexes already made, per pack buffer: the bridge checks a pack, the recent cache and (with
 * the in-process stream, which hands the writer the very same Buffer) the writer read it; one
 * parse serves all three. Weak: an index lives as long as its pack.
 */
const indexes = new WeakMap<Buffer, PackIndex>();

/**
 * Validate a pack and index its fields (strings decoded: only id and roomId). Throws
 * PackDecodeError exactly when decodePack would. Memoised per Buffer.
 */
export function indexPack(buf: Buffer): PackIndex {
  const known = Buffer.isBuffer(buf) ? indexes.get(buf) : undefined;
  if (known) return known;
  const { r, count } = openPack(buf);
  const at = new Int32Array(count * PACK_FIELDS);
  const ids: string[] = new Array(count);
  const roomIds: (string | null)[] = new Array(count);
  const range = (k: number, what: string) => {
    const n = r.varint(what);
    r.need(n, what);
    at[k] = r.pos;
    r.pos += n;
    at[k + 1] = r.pos;
  };
  const optRange = (k: number, what: string) => {
    const n = r.varint(what);
    if (n === 0) {
      at[k] = -1;
      at[k + 1] = -1;
      return;
    }
    r.need(n - 1, what);
    at[k] = r.pos;
    r.pos += n - 1;
    at[k + 1] = r.pos;
  };
  for (let i = 0, o = 0; i < count; i++, o += PACK_FIELDS) {
    at[o + F_START] = r.pos;
    range(o + F_ID, 'id');
    ids[i] = buf.toString('utf8', at[o + F_ID], at[o + F_ID + 1]);
    range(o + F_DEST, 'destination');
    optRange(o + F_ROOM, 'roomId');
    roomIds[i] = at[o + F_ROOM] < 0 ? null : buf.toString('utf8', at[o + F_ROOM], at[o + F_ROOM + 1]);
    range(o + F_SENDER, 'senderId');
    range(o + F_NODE, 'nodeId');
    r.need(8, 'sentAt');
    at[o + F_SENT] = r.pos;
    r.pos += 8;
    optRange(o + F_CT, 'contentType');
    const headerCount = r.varint('headerCount');
    if (headerCount * 2 > buf.length - r.pos) throw new PackDecodeError(`header count ${headerCount} exceeds pack size`);
    at[o + F_HDR] = r.pos;
    at[o + F_HDR + 1] = headerCount;
    for (let h = 0; h < headerCount; h++) {
      let n = r.varint('header name');
      r.need(n, 'header name');
      r.pos += n;
      n = r.varint('header value');
      r.need(n, 'header value');
      r.pos += n;
    }
    range(o + F_BODY, 'body');
  }
  if (r.pos !== buf.length) throw new PackDecodeError(`${buf.length - r.pos} trailing bytes`);
  const index: PackIndex = { buf, count, ids, roomIds, at };
  indexes.set(buf, index);
  return index;
}

/** The headers of message `i` of an index, as decodePack builds them (first of a repeated name wins). */
export function indexedHeaders(ix: PackIndex, i: number): Record<string, string> {
  const o = i * PACK_FIELDS;
  const headers: Record<string, string> = Object.create(null);
  const n = ix.at[o + F_HDR + 1];
  if (n === 0) return headers;
  const r = new Reader(ix.buf);
  r.pos = ix.at[o + F_HDR];
  for (let h = 0; h < n; h++) {
    const k = r.str('header name');
    const v = r.str('header value');
    if (!(k in headers)) headers[k] = v;
  }
  return headers;
}

/**
 * Validate a pack and locate its messages without materialising them (no body copies, no
 * header objects): what the consumer's bridge needs to check a pack and feed the recent
 * cache. Throws PackDecodeError exactly when decodePack would.
 */
export function scanPack(buf: Buffer): PackedMessageRef[] {
  const ix = indexPack(buf);
  const out: PackedMessageRef[] = new Array(ix.count);
  for (let i = 0, o = 0; i < ix.count; i++, o += PACK_FIELDS) {
    out[i] = { id: ix.ids[i], roomId: ix.roomIds[i], start: ix.at[o + F_START], end: ix.at[o + F_BODY + 1] };
  }
  return out;
}

/**
 * A pack made of already-encoded messages (byte ranges of other packs), without re-encoding.
 * `prefix` (latin1/ASCII) is written before the pack in the same buffer (the recent cache's
 * sort key), saving a concat.
 */
export function packFromParts(parts: ReadonlyArray<{ buf: Buffer; start: number; end: number }>, prefix = ''): Buffer {
  let size = prefix.length + packHeaderSize(parts.length);
  for (const p of parts) size += p.end - p.start;
  const w = new Writer(Buffer.allocUnsafe(size));
  w.pos = w.buf.write(prefix, 0, 'latin1');
  w.buf[w.pos++] = MAGIC0;
  w.buf[w.pos++] = MAGIC1;
  w.buf[w.pos++] = PACK_VERSION;
  w.varint(parts.length);
  for (const p of parts) w.pos += p.buf.copy(w.buf, w.pos, p.start, p.end);
  return w.buf;
}
