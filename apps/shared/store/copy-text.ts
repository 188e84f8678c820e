/**
 * Rows of a PackedRows batch as PostgreSQL COPY text format (one line per row, columns
 * separated by tabs, `\N` for NULL; backslash, tab, newline and carriage return escaped with a
 * backslash: PostgreSQL docs, COPY "Text Format"), built straight from the packs' bytes: ids,
 * destinations, senders and text bodies are copied byte for byte, never decoded to strings.
 * Escaping works on bytes because those four are ASCII and never occur inside a multi-byte
 * UTF-8 sequence. A NUL is copied as is: the server refuses it (invalid byte sequence 0x00),
 * which rejects exactly that row after bisection.
 *
 * Columns, in COPY_COLUMNS order (the `messages` columns a row supplies): id, room_id,
 * destination, sender_id, node_id, body, body_bytes, content_type, headers (JSON text),
 * created_at (ISO 8601 with `Z`, which timestamptz input reads whatever the session's
 * DateStyle or TimeZone: PostgreSQL docs, "Date/Time Input").
 * A body that is valid UTF-8 without NUL goes to `body`; anything else to `body_bytes` as
 * bytea hex with `body` = '' (message-rows.ts).
 */
import { isUtf8 } from 'node:buffer';
import { F_BODY, F_CT, F_DEST, F_HDR, F_ID, F_NODE, F_ROOM, F_SENDER, F_SENT, indexedHeaders, PACK_FIELDS, type PackIndex } from '../queue/pack-codec';
import type { PackedRows } from './packed-rows';
import { GrowableBuffer } from './growable-buffer';

// The pack's field offsets, read once: where the sources run as CommonJS (tsx) every read of an
// imported binding is a getter call, too slow for per-row and per-byte loops.
const [BODY, CT, DEST, HDR, ID, NODE, ROOM, SENDER, SENT, NFIELDS] = [F_BODY, F_CT, F_DEST, F_HDR, F_ID, F_NODE, F_ROOM, F_SENDER, F_SENT, PACK_FIELDS];

export const COPY_COLUMNS = 'id, room_id, destination, sender_id, node_id, body, body_bytes, content_type, headers, created_at';

const TAB = 9;
const LF = 10;
const CR = 13;
const BACKSLASH = 92;

class Out extends GrowableBuffer {
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }
  /**
   * Copy src[s, e) escaped; returns the OR of all bytes and whether a NUL was seen
   * (bit 0x100), so the caller can tell ASCII text from bytes that need a UTF-8 check.
   */
  escaped(src: Buffer, s: number, e: number): number {
    this.ensure(2 * (e - s));
    const out = this.buf;
    let p = this.pos;
    let seen = 0;
    for (let i = s; i < e; i++) {
      const b = src[i];
      seen |= b;
      if (b === 0) seen |= 0x100;
      if (b === BACKSLASH || b === TAB || b === LF || b === CR) {
        out[p++] = BACKSLASH;
        out[p++] = b === BACKSLASH ? BACKSLASH : b === TAB ? 116 /* t */ : b === LF ? 110 /* n */ : 114; /* r */
      } else out[p++] = b;
    }
    this.pos = p;
    return seen;
  }
}

/** COPY text for rows [a, b) of `rows`. */
export function copyText(rows: PackedRows, a = 0, b: number = rows.length): Buffer {
  let estimate = 0;
  for (let r = a; r < b; r++) {
    const p = rows.part(r);
    estimate += p.end - p.start + 64;
  }
  const out = new Out(estimate + (estimate >> 2));
  const time = new IsoTime();
  for (let r = a; r < b; r++) {
    const { ix, o } = rows.locate(r);
    writeRow(out, ix, o, time);
  }
  return out.buf.subarray(0, out.pos);
}

/**
 * ms since the epoch as ISO 8601 text; a batch's rows mostly share a few instants, so the last
 * one is kept. A time Date cannot represent is written as the number itself, which timestamptz
 * input refuses (SQLSTATE 22007), so that row alone is rejected.
 */
export class IsoTime {
  private ms = NaN;
  private text = '';
  of(ms: number): string {
    if (ms !== this.ms) {
      this.ms = ms;
      this.text = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
    }
    return this.text;
  }
}

function writeRow(out: Out, ix: PackIndex, o: number, time: IsoTime): void {
  const { buf, at } = ix;
  out.escaped(buf, at[o + ID], at[o + ID + 1]);
  out.byte(TAB);
  if (at[o + ROOM] < 0) out.ascii('\\N');
  else out.escaped(buf, at[o + ROOM], at[o + ROOM + 1]);
  out.byte(TAB);
  out.escaped(buf, at[o + DEST], at[o + DEST + 1]);
  out.byte(TAB);
  out.escaped(buf, at[o + SENDER], at[o + SENDER + 1]);
  out.byte(TAB);
  out.escaped(buf, at[o + NODE], at[o + NODE + 1]);
  out.byte(TAB);
  // Body: as text when it is text, else '' and the bytes as bytea hex (`\\x..`, the
  // backslash itself escaped for COPY).
  const bs = at[o + BODY];
  const be = at[o + BODY + 1];
  const mark = out.pos;
  const seen = out.escaped(buf, bs, be);
  const text = (seen & 0x100) === 0 && ((seen & 0x80) === 0 || isUtf8(buf.subarray(bs, be)));
  if (text) out.ascii('\t\\N\t');
  else {
    out.pos = mark;
    out.ascii('\t\\\\x');
    out.ascii(buf.toString('hex', bs, be));
    out.byte(TAB);
  }
  if (at[o + CT] < 0) out.ascii('\\N');
  else out.escaped(buf, at[o + CT], at[o + CT + 1]);
  out.byte(TAB);
  if (at[o + HDR + 1] === 0) out.ascii('{}');
  else {
    const json = JSON.stringify(indexedHeaders(ix, o / NFIELDS));
    const bytes = Buffer.from(json, 'utf8');
    out.escaped(bytes, 0, bytes.length);
  }
  out.byte(TAB);
  out.ascii(time.of(buf.readDoubleLE(at[o + SENT])));
  out.byte(LF);
}
