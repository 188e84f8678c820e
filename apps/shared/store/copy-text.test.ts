/** COPY text built straight from packs: escaping, text vs binary bodies, NULLs, headers. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OutboundMessage } from '../message';
import { decodePack, encodePack, indexedHeaders, indexPack } from '../queue/pack-codec';
import { copyText } from './copy-text';
import { PackedRows } from './packed-rows';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id: 'id1', destination: '/topic/room.r1', roomId: 'r1', senderId: 'alice', nodeId: 'n1',
    sentAt: 1_700_000_000_123, contentType: 'text/plain', headers: {}, body: Buffer.from('hi'), ...over,
  };
}

/** Undo COPY text escaping of one field (PostgreSQL docs, COPY "Text Format"); null for \N. */
function unescape(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

function parse(text: string): Array<Array<string | null>> {
  return text.split('\n').slice(0, -1).map((line) => line.split('\t').map(unescape));
}

describe('copyText', () => {
  it('escapes backslash, tab, newline and CR, writes NULL as \\N and empty headers as {}', () => {
    const rows = PackedRows.fromMessages([msg({ id: 'a\tb', senderId: 'x\\y', destination: '/d\n1\r', contentType: null })]);
    const text = copyText(rows).toString('utf8');
    expect(text).toBe('a\\tb\tr1\t/d\\n1\\r\tx\\\\y\tn1\thi\t\\N\t\\N\t{}\t2023-11-14T22:13:20.123Z\n');
  });

  it('puts UTF-8 text bodies in body and anything else (NUL, invalid UTF-8) in body_bytes as hex', () => {
    const rows = PackedRows.fromMessages([
      msg({ body: Buffer.from('안녕 👋') }),
      msg({ id: 'b', body: Buffer.from([0x61, 0x00, 0x62]) }),
      msg({ id: 'c', body: Buffer.from([0xff, 0xfe]) }),
      msg({ id: 'd', body: Buffer.alloc(0) }),
    ]);
    const parsed = parse(copyText(rows).toString('utf8'));
    expect(parsed.map((r) => [r[5], r[6]])).toEqual([
      ['안녕 👋', null],
      ['', '\\x610062'],
      ['', '\\xfffe'],
      ['', null],
    ]);
  });

  it('matches the pack, field by field, for any messages (property)', () => {
    const arb = fc.record({
      id: fc.string({ minLength: 1, maxLength: 30 }),
      destination: fc.string({ maxLength: 60 }),
      roomId: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
      senderId: fc.string({ maxLength: 30 }),
      nodeId: fc.string({ maxLength: 10 }),
      sentAt: fc.integer({ min: 0, max: 2 ** 45 }),
      contentType: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      body: fc.string({ maxLength: 80 }).map((s) => Buffer.from(s.replace(/\u0000/g, ''))),
    });
    fc.assert(
      fc.property(fc.array(arb, { minLength: 1, maxLength: 8 }), (msgs) => {
        // Strings without NUL: the database refuses those itself.
        const clean = msgs.map((m) => ({ ...m, id: m.id.replace(/\u0000/g, '') || 'x' })) as OutboundMessage[];
        const pack = encodePack(clean);
        const parsed = parse(copyText(PackedRows.fromPack(pack)).toString('utf8'));
        const back = decodePack(pack);
        const ix = indexPack(pack);
        expect(parsed).toHaveLength(back.length);
        parsed.forEach((r, i) => {
          const m = back[i];
          expect(r.slice(0, 5)).toEqual([m.id, m.roomId, m.destination, m.senderId, m.nodeId]);
          expect(r[5]).toBe(m.body.toString('utf8'));
          expect(r[7]).toBe(m.contentType);
          expect(JSON.parse(r[8]!)).toEqual({ ...indexedHeaders(ix, i) });
          expect(Date.parse(r[9]!)).toBe(m.sentAt);
        });
      }),
      { numRuns: 200 },
    );
  });
});
