/**
 * No client can grow the broker's memory without a byte bound: each way a client could make
 * the broker hold data ends with the client refused, closed or its data dropped from a bounded
 * cache, and the bytes held are checked against the configured budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';

const MiB = 1024 * 1024;
let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      MAX_HELD_BYTES_PER_CONNECTION: String(MiB),
      MAX_TRANSACTION_BYTES_PER_CONNECTION: String(MiB),
      FRAME_TIMEOUT_MS: '300',
      RECENT_RING_MAX_BYTES: String(MiB),
    },
  });
});
afterAll(async () => {
  await broker.close();
});

async function connected(): Promise<RawClient> {
  const c = await rawConnect(broker.url, ['v12.stomp']);
  c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
  await c.waitFor((f) => f.command === 'CONNECTED');
  return c;
}

describe('memory bounded in bytes', () => {
  it('a tiny body cut from a huge WebSocket message does not keep the message alive', async () => {
    const c = await connected();
    const eols = Buffer.alloc(4 * MiB, 0x0a); // heart-beats, legal between frames
    for (let i = 0; i < 3; i++) c.send(Buffer.concat([Buffer.from(`SEND\ndestination:/topic/room.pinned\nreceipt:r${i}\n\nx\0`), eols]));
    await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r2');
    const kept = await broker.hub.history({ kind: 'last', roomId: 'pinned', limit: 10 });
    expect(kept).toHaveLength(3);
    for (const m of kept) expect(m.body.buffer.byteLength).toBeLessThan(64 * 1024);
    c.close();
  });

  it('a client-ack subscriber that never ACKs is closed once its held bytes pass the budget', async () => {
    const idle = await connected();
    idle.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/never-acked', ack: 'client', receipt: 'r' }));
    await idle.waitFor((f) => f.command === 'RECEIPT');
    const sender = await connected();
    const before = broker.metrics.slowConsumerDisconnects;
    const body = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 100; i++) sender.send(frame('SEND', { destination: '/topic/never-acked' }, body));
    const err = await idle.waitFor((f) => f.command === 'ERROR');
    expect(err.headers.message).toBe('slow-consumer');
    const delivered = idle.frames.filter((f) => f.command === 'MESSAGE').length;
    expect(delivered * body.length).toBeLessThanOrEqual(MiB);
    expect(broker.metrics.slowConsumerDisconnects).toBe(before + 1);
    sender.close();
  });

  it('an open transaction cannot buffer more than its byte budget', async () => {
    const c = await connected();
    c.send(frame('BEGIN', { transaction: 't' }));
    const body = 'y'.repeat(256 * 1024);
    for (let i = 0; i < 8; i++) c.send(frame('SEND', { destination: '/topic/tx', transaction: 't' }, body));
    const err = await c.waitFor((f) => f.command === 'ERROR');
    expect(err.headers.message).toBe('transaction-too-large');
    expect(err.body.toString()).toContain('bytes');
  });

  it('half a frame is not kept forever', async () => {
    const c = await connected();
    c.send(`SEND\ndestination:/topic/half\ncontent-length:${MiB}\n\n` + 'z'.repeat(1000));
    const err = await c.waitFor((f) => f.command === 'ERROR', 5_000);
    expect(err.headers.message).toBe('frame-timeout');
    await c.closed;
  });

  it('the recent ring stays within its byte bound across many rooms', async () => {
    const c = await connected();
    const body = 'r'.repeat(64 * 1024);
    for (let i = 0; i < 100; i++) c.send(frame('SEND', { destination: `/topic/room.ring${i}` }, body));
    c.send(frame('SEND', { destination: '/topic/room.ring-last', receipt: 'done' }, 'end'));
    await c.waitFor((f) => f.command === 'RECEIPT');
    const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    const bytes = Number(/^stompbox_recent_ring_bytes (\d+)/m.exec(text)?.[1]);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(MiB);
    expect(Number(/^stompbox_recent_ring_evictions_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(50);
    c.close();
  });
});
