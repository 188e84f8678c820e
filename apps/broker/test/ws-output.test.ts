/**
 * WebSocket output modes: text by default (non-UTF-8 bodies go binary so browsers keep
 * the connection), binary when configured, and permessage-deflate when enabled.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBroker } from '../broker';
import { frame } from '../testing/raw-client';

async function roundTrip(env: Record<string, string>, body: Buffer, clientOpts: WebSocket.ClientOptions = {}) {
  const broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', ...env } });
  try {
    const ws = new WebSocket(broker.url, clientOpts);
    const got: { data: Buffer; binary: boolean }[] = [];
    ws.on('message', (data: Buffer, binary) => got.push({ data: Buffer.from(data), binary }));
    await new Promise((r) => ws.once('open', r));
    ws.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
    ws.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/o' }));
    ws.send(Buffer.concat([Buffer.from(`SEND\ndestination:/topic/o\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]));
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(2);
    const extensions = ws.extensions;
    ws.close();
    return { connected: got[0], message: got[1], extensions };
  } finally {
    await broker.close();
  }
}

describe('WebSocket output', () => {
  it('text by default; a non-UTF-8 body goes as a binary message', async () => {
    const text = await roundTrip({}, Buffer.from('héllo'));
    expect(text.connected.binary).toBe(false);
    expect(text.message.binary).toBe(false);
    const bin = await roundTrip({}, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    expect(bin.message.binary).toBe(true);
    expect(bin.message.data.subarray(-5, -1).equals(Buffer.from([0xff, 0xfe, 0x00, 0x01]))).toBe(true);
  });

  it('binary when WS_OUTPUT=binary', async () => {
    const r = await roundTrip({ WS_OUTPUT: 'binary' }, Buffer.from('x'));
    expect(r.connected.binary).toBe(true);
    expect(r.message.binary).toBe(true);
  });

  it('compresses with permessage-deflate only when enabled', async () => {
    const off = await roundTrip({}, Buffer.from('a'.repeat(2000)), { perMessageDeflate: true });
    expect(off.extensions).toBe('');
    const on = await roundTrip({ WS_COMPRESSION: 'true' }, Buffer.from('a'.repeat(2000)), { perMessageDeflate: true });
    expect(on.extensions).toContain('permessage-deflate');
    expect(on.message.data.toString()).toContain('a'.repeat(2000));
  });

  it('large frames use the 16- and 64-bit length forms', async () => {
    for (const n of [200, 70_000]) {
      const r = await roundTrip({}, Buffer.alloc(n, 0x62));
      expect(r.message.data.length).toBeGreaterThan(n);
    }
  });
});
