/**
 * Property tests of the codec (in the shape of RabbitMQ's prop_frame_SUITE): any frame
 * the encoder writes parses back to itself however the bytes are split, and random bytes
 * never make the parser throw anything but a StompProtocolError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from './encoder';
import { StompProtocolError } from './errors';
import { StompParser } from './parser';
import type { Frame } from './frame';

const headerText = fc.string({ unit: 'binary', minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0'));
const headerName = headerText.filter((s) => s.length > 0);
const frameArb = fc.record({
  command: fc.constantFrom('SEND', 'MESSAGE', 'SUBSCRIBE', 'ACK', 'RECEIPT', 'ERROR'),
  headers: fc.uniqueArray(fc.tuple(headerName, headerText), { selector: (t) => t[0], maxLength: 8 }),
  body: fc.uint8Array({ maxLength: 300 }),
  lengthPrefixed: fc.boolean(),
});

type Gen = { command: string; headers: [string, string][]; body: Uint8Array; lengthPrefixed: boolean };

function encode(g: Gen): Buffer {
  // Null prototype: a generated header named "__proto__" must be a header, not a prototype.
  const headers: Record<string, string> = Object.create(null);
  for (const [k, v] of g.headers) if (k !== 'content-length') headers[k] = v;
  let body = Buffer.from(g.body);
  if (g.lengthPrefixed) headers['content-length'] = String(body.length);
  else body = Buffer.from(body.filter((b) => b !== 0));
  return encodeFrame(g.command, headers, body, '1.2');
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function parseChunks(chunks: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  const p = new StompParser({ onFrame: (f) => frames.push(f), version: '1.2' });
  for (const c of chunks) p.push(Buffer.from(c));
  return frames;
}

const normalize = (f: Frame) => ({ command: f.command, headers: Object.assign(Object.create(null) as Record<string, string>, f.headers), body: f.body.toString('hex') });

describe('codec properties', () => {
  it('frames split at random points parse identically', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.constantFrom('', '\n', '\r\n'), { minLength: 5, maxLength: 5 }),
        (gens, cuts, eols) => {
          const wire = Buffer.concat(gens.flatMap((g, i) => [encode(g), Buffer.from(eols[i])]));
          const whole = parseChunks([wire]).map(normalize);
          const split = parseChunks(splitAt(wire, cuts)).map(normalize);
          expect(split).toEqual(whole);
          expect(whole).toHaveLength(gens.length);
          whole.forEach((f, i) => {
            expect(f.command).toBe(gens[i].command);
            for (const [k, v] of gens[i].headers) if (k !== 'content-length') expect(f.headers[k]).toBe(v);
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes only ever raise protocol errors', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) => {
        const p = new StompParser({ onFrame: () => {}, maxHeaderLineBytes: 256, maxFrameBytes: 1024, maxBodyBytes: 512 });
        try {
          for (const c of chunks) p.push(Buffer.from(c));
        } catch (e) {
          if (!(e instanceof StompProtocolError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes after a valid prefix only ever raise protocol errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const p = new StompParser({ onFrame: () => {} });
        try {
          p.push(Buffer.concat([Buffer.from('SEND\ndestination:/a\n'), Buffer.from(bytes)]));
        } catch (e) {
          if (!(e instanceof StompProtocolError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
