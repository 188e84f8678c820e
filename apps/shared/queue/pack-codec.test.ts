import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePack, encodePack, messageSize, packFromParts, packHeaderSize, PackDecodeError, scanPack } from './pack-codec';
import type { OutboundMessage } from '../message';

function msg(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id: '0mabc1234-0000-n1',
    destination: '/topic/room.r1',
    roomId: 'r1',
    senderId: 'alice',
    nodeId: 'n1',
    sentAt: 1_790_000_000_123,
    contentType: 'text/plain',
    headers: { 'x-a': '1' },
    body: Buffer.from('hello'),
    ...over,
  };
}

const arbMsg: fc.Arbitrary<OutboundMessage> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }),
  destination: fc.string({ maxLength: 200 }),
  roomId: fc.option(fc.string({ maxLength: 130 }), { nil: null }),
  senderId: fc.string({ maxLength: 64 }),
  nodeId: fc.string({ maxLength: 32 }),
  sentAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }).map(Number), fc.double({ noNaN: true })),
  contentType: fc.option(fc.string({ maxLength: 50 }), { nil: null }),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 300 }), { maxKeys: 5 }),
  body: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
});

describe('pack codec', () => {
  it('round-trips messages including null fields, unicode, special destinations and binary bodies', () => {
    const msgs = [
      msg(),
      msg({ id: 'b', roomId: null, contentType: null, headers: {}, body: Buffer.alloc(0), destination: '/topic/a.*.#' }),
      msg({ id: 'c', senderId: '사용자', body: Buffer.from([0, 255, 0, 10]), headers: { 'ключ': 'значение', e: '' } }),
    ];
    const buf = encodePack(msgs);
    expect(buf.length).toBe(packHeaderSize(3) + msgs.reduce((s, m) => s + messageSize(m), 0));
    expect(decodePack(buf)).toEqual(msgs);
  });

  it('round-trips an empty pack and a large pack with sizeHint', () => {
    expect(decodePack(encodePack([]))).toEqual([]);
    const many = Array.from({ length: 500 }, (_, i) => msg({ id: `id-${i}`, body: Buffer.alloc(i % 300, i) }));
    const hint = many.reduce((s, m) => s + messageSize(m), 0);
    expect(decodePack(encodePack(many, hint))).toEqual(many);
  });

  it('keeps bodies independent of the pack buffer', () => {
    const buf = encodePack([msg({ body: Buffer.from('abc') })]);
    const [m] = decodePack(buf);
    buf.fill(0);
    expect(m.body.toString()).toBe('abc');
  });

  it('round-trips arbitrary messages (property)', () => {
    fc.assert(
      fc.property(fc.array(arbMsg, { maxLength: 20 }), (msgs) => {
        const out = decodePack(encodePack(msgs));
        expect(out.length).toBe(msgs.length);
        for (let i = 0; i < msgs.length; i++) {
          expect({ ...out[i], headers: { ...out[i].headers } }).toEqual({ ...msgs[i], headers: { ...msgs[i].headers } });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad magic, unknown versions, truncation and trailing bytes with PackDecodeError', () => {
    const good = encodePack([msg(), msg({ id: 'x' })]);
    expect(() => decodePack(Buffer.from('hello world'))).toThrow(PackDecodeError);
    const v2 = Buffer.from(good);
    v2[2] = 2;
    expect(() => decodePack(v2)).toThrow(/unsupported version 2/);
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => decodePack(good.subarray(0, cut))).toThrow(PackDecodeError);
    }
    expect(() => decodePack(Buffer.concat([good, Buffer.from([1])]))).toThrow(/trailing/);
    const hugeCount = Buffer.from([0x53, 0x42, 1, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => decodePack(hugeCount)).toThrow(/exceeds/);
  });

  it('never throws anything but PackDecodeError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.concat([Buffer.from([0x53, 0x42, 1]), Buffer.from(bytes)]);
        try {
          decodePack(buf);
        } catch (e) {
          expect(e).toBeInstanceOf(PackDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('scanPack and packFromParts', () => {
  it('locates every message, agrees with decodePack, and rebuilds packs from the parts', () => {
    const a = [msg({ id: 'a1' }), msg({ id: 'a2', roomId: null, headers: { h: 'v', k: 'w' } }), msg({ id: 'a3', roomId: 'r2', body: Buffer.alloc(300, 7) })];
    const b = [msg({ id: 'b1', roomId: 'r2' })];
    const pa = encodePack(a);
    const pb = encodePack(b);
    const refs = scanPack(pa);
    expect(refs.map((r) => [r.id, r.roomId])).toEqual([['a1', 'r1'], ['a2', null], ['a3', 'r2']]);
    const r2 = packFromParts([{ buf: pa, ...refs[2] }, { buf: pb, ...scanPack(pb)[0] }]);
    expect(decodePack(r2)).toEqual([a[2], b[0]]);
    expect(decodePack(packFromParts([]))).toEqual([]);
  });

  it('rejects what decodePack rejects (property)', () => {
    fc.assert(
      fc.property(fc.array(arbMsg, { maxLength: 5 }), fc.nat(), (msgs, cutSeed) => {
        const buf = encodePack(msgs);
        const cut = buf.subarray(0, cutSeed % (buf.length + 1));
        let decodeErr = false;
        let scanErr = false;
        try { decodePack(cut); } catch { decodeErr = true; }
        try { scanPack(cut); } catch (e) { scanErr = true; expect(e).toBeInstanceOf(PackDecodeError); }
        expect(scanErr).toBe(decodeErr);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes without copying bodies when asked', () => {
    const buf = encodePack([msg({ body: Buffer.from('shared') })]);
    const [m] = decodePack(buf, false);
    buf.fill(0x41, buf.length - 6);
    expect(m.body.toString()).toBe('AAAAAA');
  });
});
