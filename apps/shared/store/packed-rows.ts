/**
 * A batch of message rows that stay inside their packs: each row is (pack index, message
 * number), so the writer decodes a pack once (queue/pack-codec.ts indexPack) and the insert
 * copies field bytes straight from the pack into its statement (copy-text.ts) instead of
 * building an OutboundMessage per row and then columns from those. Messages are materialised
 * only on rare paths (a rejected row's dead letter, a store that takes only messages).
 */
import type { OutboundMessage } from '../message';
import {
  decodePack, encodePack, F_BODY, F_CT, F_ROOM, F_SENDER, F_SENT, F_START, indexPack, PACK_FIELDS, packFromParts, type PackIndex,
} from '../queue/pack-codec';

// The pack's field offsets, read once: where the sources run as CommonJS (tsx) every read of an
// imported binding is a getter call, too slow for per-row and per-byte loops.
const [BODY, CT, ROOM, SENDER, SENT, START, NFIELDS] = [F_BODY, F_CT, F_ROOM, F_SENDER, F_SENT, F_START, PACK_FIELDS];

/** What a reader of stored text needs of a message (trending words): no ids, headers or copies of the rest. */
export type StoredText = Pick<OutboundMessage, 'roomId' | 'sentAt' | 'contentType' | 'body'>;

export class PackedRows {
  private readonly packs: PackIndex[] = [];
  /** Per row: which pack (index into `packs`) and which message of it. */
  private readonly packOf: number[] = [];
  private readonly msgOf: number[] = [];
  /** Message id of each row. */
  readonly ids: string[] = [];

  /** Rows of these messages (encoded into one pack). */
  static fromMessages(msgs: readonly OutboundMessage[]): PackedRows {
    return PackedRows.fromPack(encodePack(msgs));
  }

  /** Every message of one pack (validated; throws PackDecodeError). */
  static fromPack(buf: Buffer): PackedRows {
    const ix = indexPack(buf);
    const rows = new PackedRows();
    for (let i = 0; i < ix.count; i++) rows.add(ix, i);
    return rows;
  }

  get length(): number {
    return this.ids.length;
  }

  /** Append message `i` of an indexed pack. */
  add(ix: PackIndex, i: number): void {
    let p = this.packs.length - 1;
    if (p < 0 || this.packs[p] !== ix) p = this.packs.push(ix) - 1;
    this.packOf.push(p);
    this.msgOf.push(i);
    this.ids.push(ix.ids[i]);
  }

  /** Append row `r` of another batch. */
  addRow(from: PackedRows, r: number): void {
    this.add(from.packs[from.packOf[r]], from.msgOf[r]);
  }

  /** The pack index holding row `r`, and the offset of the row's fields in its `at`. */
  locate(r: number): { ix: PackIndex; o: number } {
    return { ix: this.packs[this.packOf[r]], o: this.msgOf[r] * NFIELDS };
  }

  roomId(r: number): string | null {
    return this.packs[this.packOf[r]].roomIds[this.msgOf[r]];
  }

  senderId(r: number): string {
    const { ix, o } = this.locate(r);
    return ix.buf.toString('utf8', ix.at[o + SENDER], ix.at[o + SENDER + 1]);
  }

  sentAt(r: number): number {
    const { ix, o } = this.locate(r);
    return ix.buf.readDoubleLE(ix.at[o + SENT]);
  }

  /** True when row `r` has a room (only room messages are stored). */
  isRoomMessage(r: number): boolean {
    const { ix, o } = this.locate(r);
    return ix.at[o + ROOM] >= 0;
  }

  /** Row `r`'s bytes inside its pack (for packFromParts). */
  part(r: number): { buf: Buffer; start: number; end: number } {
    const { ix, o } = this.locate(r);
    return { buf: ix.buf, start: ix.at[o + START], end: ix.at[o + BODY + 1] };
  }

  /** Row `r` as a message (its own copy of the bytes). */
  message(r: number): OutboundMessage {
    return decodePack(packFromParts([this.part(r)]))[0];
  }

  /** The room messages' text parts, each body its own copy (the packs are not pinned). */
  texts(): StoredText[] {
    const out: StoredText[] = [];
    for (let r = 0; r < this.length; r++) {
      const ix = this.packs[this.packOf[r]];
      const i = this.msgOf[r];
      const roomId = ix.roomIds[i];
      if (roomId === null) continue;
      const o = i * NFIELDS;
      const at = ix.at;
      out.push({
        roomId,
        sentAt: ix.buf.readDoubleLE(at[o + SENT]),
        contentType: at[o + CT] < 0 ? null : ix.buf.toString('utf8', at[o + CT], at[o + CT + 1]),
        body: Buffer.from(ix.buf.subarray(at[o + BODY], at[o + BODY + 1])),
      });
    }
    return out;
  }

  messages(): OutboundMessage[] {
    return this.length === 0 ? [] : decodePack(this.toPack());
  }

  /** Rows [a, b) (sharing the packs). */
  slice(a: number, b: number = this.length): PackedRows {
    const out = new PackedRows();
    for (let r = a; r < Math.min(b, this.length); r++) out.addRow(this, r);
    return out;
  }

  /** Rows [a, b) as one new pack holding only their bytes (to hand them to another thread). */
  toPack(a = 0, b: number = this.length): Buffer {
    const parts = [];
    for (let r = a; r < Math.min(b, this.length); r++) parts.push(this.part(r));
    return packFromParts(parts);
  }
}
