import { describe, expect, it } from 'vitest';
import { StompParser, type ParserOptions } from './parser';
import { StompProtocolError } from './errors';
import type { Frame } from './frame';

function parseAll(input: Buffer | string, opts: Partial<ParserOptions> = {}) {
  const frames: Frame[] = [];
  let heartbeats = 0;
  const p = new StompParser({ onFrame: (f) => frames.push(f), onHeartbeat: () => heartbeats++, ...opts });
  p.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  return { frames, heartbeats, parser: p };
}

function expectProtocolError(fn: () => void, code: string) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StompProtocolError);
    expect((e as StompProtocolError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('StompParser', () => {
  it('parses a frame with headers and a NUL-terminated body', () => {
    const { frames } = parseAll('SEND\ndestination:/topic/a\nfoo:bar\n\nhello\0');
    expect(frames).toHaveLength(1);
    expect(frames[0].command).toBe('SEND');
    expect({ ...frames[0].headers }).toEqual({ destination: '/topic/a', foo: 'bar' });
    expect(frames[0].body.toString()).toBe('hello');
  });

  it('accepts CRLF line ends', () => {
    const { frames } = parseAll('SEND\r\ndestination:/q\r\n\r\nx\0');
    expect(frames[0].headers.destination).toBe('/q');
    expect(frames[0].body.toString()).toBe('x');
  });

  it('reads content-length bodies containing NUL bytes', () => {
    const body = Buffer.from([1, 0, 2, 0, 0, 3]);
    const input = Buffer.concat([Buffer.from('SEND\ndestination:/q\ncontent-length:6\n\n'), body, Buffer.from([0])]);
    const { frames } = parseAll(input);
    expect(frames[0].body.equals(body)).toBe(true);
  });

  it('counts EOLs between frames as heart-beats (LF and CRLF)', () => {
    const { frames, heartbeats } = parseAll('\n\r\nSEND\ndestination:/a\n\n\0\n\n\r\nSEND\ndestination:/b\n\n\0\n');
    expect(frames.map((f) => f.headers.destination)).toEqual(['/a', '/b']);
    expect(heartbeats).toBe(6);
  });

  it('treats a header named __proto__ (or constructor) as an ordinary header', () => {
    const { frames } = parseAll('SEND\n__proto__:x\nconstructor:y\n\n\0');
    expect(Object.getOwnPropertyDescriptor(frames[0].headers, '__proto__')?.value).toBe('x');
    expect(frames[0].headers.constructor).toBe('y');
  });

  it('keeps the first of repeated headers', () => {
    const { frames } = parseAll('MESSAGE\nfoo:first\nfoo:second\n\n\0');
    expect(frames[0].headers.foo).toBe('first');
  });

  it('unescapes 1.2 headers but never CONNECT headers', () => {
    const { frames } = parseAll('SEND\na\\cb:x\\ny\\\\z\\r\n\n\0CONNECT\npasscode:a\\cb\n\n\0');
    expect(frames[0].headers['a:b']).toBe('x\ny\\z\r');
    expect(frames[1].headers.passcode).toBe('a\\cb');
  });

  it('does not unescape in 1.0', () => {
    const { frames } = parseAll('SEND\nfoo:a\\tb\n\n\0', { version: '1.0' });
    expect(frames[0].headers.foo).toBe('a\\tb');
  });

  it('rejects an undefined escape in 1.1 and 1.2', () => {
    expectProtocolError(() => parseAll('SEND\nfoo:a\\tb\n\n\0'), 'bad-escape');
    expectProtocolError(() => parseAll('SEND\nfoo:a\\rb\n\n\0', { version: '1.1' }), 'bad-escape');
  });

  it('keeps colons after the first in a value (1.0 style) and empty values', () => {
    const { frames } = parseAll('SEND\nurl:http://x\nempty:\n\n\0', { version: '1.0' });
    expect(frames[0].headers.url).toBe('http://x');
    expect(frames[0].headers.empty).toBe('');
  });

  it('enforces limits with typed errors', () => {
    expectProtocolError(() => parseAll('SEND\na:1\nb:2\nc:3\n\n\0', { maxHeaders: 2 }), 'too-many-headers');
    expectProtocolError(() => parseAll('SEND\na:' + 'x'.repeat(100) + '\n\n\0', { maxHeaderLineBytes: 50 }), 'header-line-too-long');
    expectProtocolError(() => parseAll('SEND\n\n' + 'x'.repeat(100) + '\0', { maxBodyBytes: 50 }), 'body-too-large');
    expectProtocolError(() => parseAll('SEND\ncontent-length:100\n\n', { maxBodyBytes: 50 }), 'body-too-large');
    expectProtocolError(() => parseAll('SEND\n\n' + 'x'.repeat(100) + '\0', { maxFrameBytes: 60 }), 'frame-too-large');
    expectProtocolError(() => parseAll('SEND\ncontent-length:abc\n\n\0'), 'bad-content-length');
    expectProtocolError(() => parseAll('SEND\ncontent-length:2\n\nabc\0'), 'missing-nul');
    expectProtocolError(() => parseAll('send\n\n\0'), 'bad-command');
    expectProtocolError(() => parseAll('SEND\nnocolon\n\n\0'), 'bad-header');
    expectProtocolError(() => parseAll('SEND\n:empty\n\n\0'), 'bad-header');
  });

  it('bounds a garbage line without EOL', () => {
    const p = new StompParser({ onFrame: () => {}, maxHeaderLineBytes: 100 });
    expectProtocolError(() => {
      for (let i = 0; i < 10; i++) p.push(Buffer.alloc(20, 0x41));
    }, 'header-line-too-long');
    // poisoned afterwards
    expectProtocolError(() => p.push(Buffer.from('\n')), 'header-line-too-long');
  });

  it('handles a frame split at every byte', () => {
    const input = Buffer.from('CONNECT\naccept-version:1.2\n\n\0\r\nSEND\ndestination:/x\ncontent-length:3\n\na\0b\0');
    const frames: Frame[] = [];
    const p = new StompParser({ onFrame: (f) => frames.push(f) });
    for (const b of input) p.push(Buffer.from([b]));
    expect(frames.map((f) => f.command)).toEqual(['CONNECT', 'SEND']);
    expect(frames[1].body.equals(Buffer.from('a\0b'))).toBe(true);
    expect(p.idle).toBe(true);
  });

  it('copies body bytes that span chunks, so a reused input buffer does not corrupt them', () => {
    const frames: Frame[] = [];
    const p = new StompParser({ onFrame: (f) => frames.push(f) });
    const buf = Buffer.from('SEND\n\nab');
    p.push(buf);
    buf.fill(0x7a);
    p.push(Buffer.from('cd\0'));
    expect(frames[0].body.toString()).toBe('abcd');
  });

  it('passes a 1 MiB frame with default limits', () => {
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const { frames } = parseAll(Buffer.concat([Buffer.from(`SEND\ndestination:/a\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]));
    expect(frames[0].body.length).toBe(body.length);
  });
});
