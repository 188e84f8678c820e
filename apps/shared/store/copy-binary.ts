/**
 * Rows of a PackedRows batch in PostgreSQL's binary COPY format (PostgreSQL docs, COPY
 * "Binary Format"): a signature and two zero int32s, then per row an int16 field count and per
 * field an int32 length (-1 for NULL) and the value in the type's binary ("send") form; an
 * int16 -1 ends the data. Field bytes are copied from the packs unchanged: no escaping, and
 * bytea bodies travel raw instead of as hex.
 *
 * Columns as in COPY_COLUMNS (copy-text.ts). Binary forms used: text = its UTF-8 bytes (the
 * server still checks the encoding, so a NUL or invalid UTF-8 is refused as in text format:
 * SQLSTATE 22021); jsonb = version byte 1 then the JSON text; timestamptz = int64 µs since
 * 2000-01-01 UTC (the column's precision (3) rounds it on input).
 */
import { isUtf8 } from 'node:buffer';
import { F_BODY, F_CT, F_DEST, F_HDR, F_ID, F_NODE, F_ROOM, F_SENDER, F_SENT, indexedHeaders, PACK_FIELDS, type PackIndex } from '../queue/pack-codec';
import type { PackedRows } from './packed-rows';
import { GrowableBuffer } from './growable-buffer';

// The pack's field offsets, read once: where the sources run as CommonJS (tsx) every read of an
// imported binding is a getter call, too slow for per-row and per-byte loops.
const [BODY, CT, DEST, HDR, ID, NODE, ROOM, SENDER, SENT, NFIELDS] = [F_BODY, F_CT, F_DEST, F_HDR, F_ID, F_NODE, F_ROOM, F_SENDER, F_SENT, PACK_FIELDS];

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELDS = 10;
/** µs between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 2 ** 32;
/** Fields up to this many bytes are copied byte by byte. */
const SHORT = 128;

class BinOut extends GrowableBuffer {
  int16(n: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(n, this.pos);
  }
  int32(n: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(n, this.pos);
  }
  /** A jsonb field holding `json` (version byte 1, then the text). */
  jsonb(json: string): void {
    this.ensure(9 + 3 * json.length);
    const lenAt = this.pos;
    this.pos += 4;
    this.buf[this.pos++] = 1;
    this.pos += this.buf.write(json, this.pos, 'utf8');
    this.buf.writeInt32BE(this.pos - lenAt - 4, lenAt);
  }
  /** The jsonb `{}`: most messages have no headers of their own. */
  emptyJsonb(): void {
    this.ensure(7);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0; b[p++] = 0; b[p++] = 0; b[p++] = 3; // length
    b[p++] = 1; b[p++] = 0x7b; b[p++] = 0x7d; // version 1, "{}"
    this.pos = p;
  }
  /** A field copied from src[s, e), or NULL when s < 0. */
  field(src: Buffer, s: number, e: number): void {
    if (s < 0) return this.int32(-1);
    const n = e - s;
    this.ensure(4 + n);
    this.pos = this.buf.writeInt32BE(n, this.pos);
    if (n > SHORT) {
      this.pos += src.copy(this.buf, this.pos, s, e);
      return;
    }
    // Ids, rooms, senders are a few dozen bytes: a loop beats Buffer#copy's per-call overhead.
    const out = this.buf;
    let p = this.pos;
    for (let i = s; i < e; i++) out[p++] = src[i];
    this.pos = p;
  }
}

/** Binary COPY data for rows [a, b) of `rows`. */
export function copyBinary(rows: PackedRows, a = 0, b: number = rows.length): Buffer {
  let estimate = SIGNATURE.length + 10;
  for (let r = a; r < b; r++) {
    const p = rows.part(r);
    estimate += p.end - p.start + 64;
  }
  const out = new BinOut(estimate);
  out.pos += SIGNATURE.copy(out.buf, 0);
  out.int32(0); // flags
  out.int32(0); // header extension length
  for (let r = a; r < b; r++) {
    const { ix, o } = rows.locate(r);
    writeRow(out, ix, o);
  }
  out.int16(-1);
  return out.buf.subarray(0, out.pos);
}

function writeRow(out: BinOut, ix: PackIndex, o: number): void {
  const { buf, at } = ix;
  out.int16(FIELDS);
  out.field(buf, at[o + ID], at[o + ID + 1]);
  out.field(buf, at[o + ROOM], at[o + ROOM + 1]);
  out.field(buf, at[o + DEST], at[o + DEST + 1]);
  out.field(buf, at[o + SENDER], at[o + SENDER + 1]);
  out.field(buf, at[o + NODE], at[o + NODE + 1]);
  // Body: as text when it is text (valid UTF-8 without NUL), else '' and the bytes as bytea.
  const bs = at[o + BODY];
  const be = at[o + BODY + 1];
  const body = buf.subarray(bs, be);
  if (body.indexOf(0) === -1 && isUtf8(body)) {
    out.field(buf, bs, be);
    out.int32(-1);
  } else {
    out.int32(0);
    out.field(buf, bs, be);
  }
  out.field(buf, at[o + CT], at[o + CT + 1]);
  if (at[o + HDR + 1] === 0) out.emptyJsonb();
  else out.jsonb(JSON.stringify(indexedHeaders(ix, o / NFIELDS)));
  out.int32(8);
  writeTimestamp(out, buf.readDoubleLE(at[o + SENT]));
}

/**
 * ms since the Unix epoch as timestamptz's int64. A time that is not a finite number is sent
 * past the type's range, which the server refuses (SQLSTATE 22008), so that row alone is rejected.
 */
function writeTimestamp(out: BinOut, ms: number): void {
  out.ensure(8);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    out.pos = out.buf.writeInt32BE(0x7fffffff, out.pos);
    out.pos = out.buf.writeUInt32BE(0xfffffff0, out.pos);
    return;
  }
  const us = Math.round(ms * 1000) - PG_EPOCH_US;
  const hi = Math.floor(us / TWO_32);
  out.pos = out.buf.writeInt32BE(hi, out.pos);
  out.pos = out.buf.writeUInt32BE(us - hi * TWO_32, out.pos);
}
