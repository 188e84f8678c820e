import { describe, expect, it } from 'vitest';
import { encodeFrame, MessageTemplate, subscriptionHeader } from './encoder';
import { StompParser } from './parser';
import type { Frame } from './frame';

function parseOne(buf: Buffer, version: '1.0' | '1.1' | '1.2' | null = '1.2'): Frame {
  const frames: Frame[] = [];
  new StompParser({ onFrame: (f) => frames.push(f), version }).push(buf);
  expect(frames).toHaveLength(1);
  return frames[0];
}

describe('encodeFrame', () => {
  it('round-trips headers with escapes in 1.2', () => {
    const buf = encodeFrame('MESSAGE', { 'a:b': 'x\ny\\z\r', plain: 'v' }, 'body');
    const f = parseOne(buf);
    expect(f.headers['a:b']).toBe('x\ny\\z\r');
    expect(f.body.toString()).toBe('body');
  });

  it('never escapes CONNECTED', () => {
    const buf = encodeFrame('CONNECTED', { server: 'a:b' });
    expect(buf.toString()).toBe('CONNECTED\nserver:a:b\n\n\0');
  });

  it('skips undefined header values', () => {
    expect(encodeFrame('RECEIPT', { 'receipt-id': 'r1', x: undefined }).toString()).toBe('RECEIPT\nreceipt-id:r1\n\n\0');
  });
});

describe('MessageTemplate', () => {
  it('splices per-delivery headers between a shared prefix and suffix', () => {
    const body = Buffer.from('hi\0there');
    const t = new MessageTemplate({ destination: '/topic/x', 'message-id': 'm1' }, body, '1.2');
    const a = parseOne(t.deliver(subscriptionHeader('sub-1', t.mode)));
    const b = parseOne(t.deliver(Buffer.from(subscriptionHeader('s:2', t.mode) + 'ack:7\n')));
    expect(a.headers.subscription).toBe('sub-1');
    expect(b.headers.subscription).toBe('s:2');
    expect(b.headers.ack).toBe('7');
    expect(a.headers['content-length']).toBe(String(body.length));
    expect(a.body.equals(body)).toBe(true);
    expect(b.headers.destination).toBe('/topic/x');
  });
});
