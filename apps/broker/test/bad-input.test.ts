/**
 * Bad input over a real socket: each case gets ERROR with a `message` header, the
 * connection closes, and a second client on the same broker keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';
import { sleep } from '../../shared/sleep';

let broker: BrokerHandle;
let bystander: RawClient;
let seq = 0;

beforeAll(async () => {
  broker = await startBroker({
    env: { PORT: '0', LOG_LEVEL: 'silent', MAX_FRAME_BYTES: String(1024 * 1024 + 4096), MAX_BODY_BYTES: String(1024 * 1024 + 4096), HEARTBEAT_MIN_MS: '100', HEARTBEAT_SERVER_RECV_MS: '100', CONNECT_TIMEOUT_MS: '1500', SEND_BUFFER_MAX_BYTES: '262144' },
  });
  bystander = await rawConnect(broker.url, ['v12.stomp']);
  bystander.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
  bystander.send(frame('SUBSCRIBE', { id: 'b', destination: '/topic/bystander', receipt: 'ok' }));
  await bystander.waitFor((f) => f.command === 'RECEIPT');
});
afterAll(async () => {
  bystander.close();
  await broker.close();
});

const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'h' });

async function bystanderStillWorks() {
  const tag = `alive-${++seq}`;
  bystander.send(frame('SEND', { destination: '/topic/bystander' }, tag));
  await bystander.waitFor((f) => f.command === 'MESSAGE' && f.body.toString() === tag);
}

type Case = [name: string, input: (string | Buffer)[], code: string, connectFirst?: boolean];
const cases: Case[] = [
  ['unknown command', [frame('FROB', {})], 'bad-command', true],
  ['frame before CONNECT', [frame('SEND', { destination: '/a' }, 'x')], 'not-connected', false],
  ['missing destination', [frame('SEND', {}, 'x')], 'missing-header', true],
  ['duplicate subscription id', [frame('SUBSCRIBE', { id: '1', destination: '/a' }), frame('SUBSCRIBE', { id: '1', destination: '/b' })], 'duplicate-subscription', true],
  ['bad escape', ['SEND\ndestination:/a\nx:bad\\tescape\n\nbody\0'], 'bad-escape', true],
  ['oversized frame (2 MiB body)', [`SEND\ndestination:/a\ncontent-length:${2 * 1024 * 1024}\n\n` + 'x'.repeat(2 * 1024 * 1024) + '\0'], 'body-too-large', true],
  ['10,000 headers', ['SEND\ndestination:/a\n' + Array.from({ length: 10000 }, (_, i) => `h${i}:v`).join('\n') + '\n\n\0'], 'too-many-headers', true],
  ['garbage bytes', [Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x0a, 0x00])], 'bad-command', true],
  ['garbage before CONNECT', [Buffer.from('\u0000\u0001\u0002 hello\n\n')], 'bad-command', false],
  ['unknown transaction', [frame('COMMIT', { transaction: 'nope' })], 'unknown-transaction', true],
  ['ACK of an unknown id', [frame('ACK', { id: '12345' })], 'unknown-ack', true],
  ['bad content-length', ['SEND\ndestination:/a\ncontent-length:-1\n\n\0'], 'bad-content-length', true],
  ['more than the pre-CONNECT budget', ['CONNECT\naccept-version:1.2\nx:' + 'a'.repeat(40 * 1024) + '\n\n\0'], 'frame-too-large', false],
  ['version mismatch', [frame('CONNECT', { 'accept-version': '3.0' })], 'version-mismatch', false],
];

describe('bad input gets ERROR, close, and no harm to others', () => {
  for (const [name, input, code, connectFirst] of cases) {
    it(name, async () => {
      const c = await rawConnect(broker.url, ['v12.stomp']);
      if (connectFirst) {
        c.send(CONNECT);
        await c.waitFor((f) => f.command === 'CONNECTED');
      }
      for (const chunk of input) c.send(chunk);
      const err = await c.waitFor((f) => f.command === 'ERROR');
      expect(err.headers.message).toBe(code);
      expect(err.body.length).toBeGreaterThan(0); // human explanation in the body
      expect(err.headers.message).toMatch(/^[^:\s]+$/); // Android-readable
      const closed = await c.closed;
      expect(closed.code).toBe(1000);
      await bystanderStillWorks();
    });
  }

  it('a receipt-bearing bad frame gets receipt-id on the ERROR', async () => {
    const c = await rawConnect(broker.url, ['v12.stomp']);
    c.send(CONNECT);
    c.send(frame('SEND', { receipt: 'r-77' }, 'no destination'));
    const err = await c.waitFor((f) => f.command === 'ERROR');
    expect(err.headers['receipt-id']).toBe('r-77');
    await c.closed;
  });

  it('a frame that fails to parse still gets receipt-id when its receipt header can be read', async () => {
    const inputs: [string, string][] = [
      ['send\ndestination:/a\nreceipt:lower\n\nx\0', 'lower'],
      ['SEND\nreceipt:esc\ndestination:/a\nx:bad\\tescape\n\nbody\0', 'esc'],
      ['SEND\ndestination:/a\n' + Array.from({ length: 100 }, (_, i) => `h${i}:v`).join('\n') + '\nreceipt:many\n\n\0', 'many'],
      ['SEND\nx:' + 'a'.repeat(9 * 1024) + '\nreceipt:long\n\n\0', 'long'],
    ];
    for (const [wire, receipt] of inputs) {
      const c = await rawConnect(broker.url, ['v12.stomp']);
      c.send(CONNECT);
      await c.waitFor((f) => f.command === 'CONNECTED');
      c.send(wire);
      const err = await c.waitFor((f) => f.command === 'ERROR');
      expect(err.headers['receipt-id'], wire.slice(0, 30)).toBe(receipt);
      await c.closed;
    }
  });

  it('a text message with invalid UTF-8 gets ERROR bad-encoding before ws closes with 1007', async () => {
    const c = await rawConnect(broker.url, ['v12.stomp']);
    c.send(CONNECT);
    await c.waitFor((f) => f.command === 'CONNECTED');
    c.ws.send(Buffer.concat([Buffer.from('SEND\ndestination:/a\n\n'), Buffer.from([0xc3, 0x28]), Buffer.from([0])]), { binary: false });
    const err = await c.waitFor((f) => f.command === 'ERROR');
    expect(err.headers.message).toBe('bad-encoding');
    expect((await c.closed).code).toBe(1007);
    await bystanderStillWorks();
  });

  it('a message over the WebSocket payload limit gets ERROR frame-too-large before ws closes with 1009', async () => {
    const c = await rawConnect(broker.url, ['v12.stomp']);
    c.send(CONNECT);
    await c.waitFor((f) => f.command === 'CONNECTED');
    c.send(Buffer.alloc(3 * 1024 * 1024, 0x61));
    const err = await c.waitFor((f) => f.command === 'ERROR');
    expect(err.headers.message).toBe('frame-too-large');
    expect((await c.closed).code).toBe(1009);
    await bystanderStillWorks();
  });

  it('a frame split across many WebSocket messages is reassembled; 1 MiB passes after CONNECT', async () => {
    const c = await rawConnect(broker.url, ['v12.stomp']);
    const connect = CONNECT;
    for (let i = 0; i < connect.length; i += 3) c.send(connect.slice(i, i + 3));
    await c.waitFor((f) => f.command === 'CONNECTED');
    c.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/big' }));
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const wire = Buffer.concat([Buffer.from(`SEND\ndestination:/topic/big\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]);
    for (let i = 0; i < wire.length; i += 64 * 1024) c.send(wire.subarray(i, i + 64 * 1024));
    const m = await c.waitFor((f) => f.command === 'MESSAGE', 10_000);
    expect(m.body.length).toBe(body.length);
    c.close();
  });

  it('closes a client that never sends CONNECT', async () => {
    const c = await rawConnect(broker.url);
    const err = await c.waitFor((f) => f.command === 'ERROR', 5000);
    expect(err.headers.message).toBe('not-connected');
    await c.closed;
  });

  it('closes a peer silent past twice its heart-beat promise', async () => {
    const c = await rawConnect(broker.url);
    c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', 'heart-beat': '200,0' }));
    await c.waitFor((f) => f.command === 'CONNECTED');
    const before = broker.metrics.heartbeatTimeouts;
    const err = await c.waitFor((f) => f.command === 'ERROR', 5000);
    expect(err.headers.message).toBe('heartbeat-timeout');
    expect(broker.metrics.heartbeatTimeouts).toBe(before + 1);
  });

  it('disconnects a slow consumer (one that stops reading) and others keep working', async () => {
    const slow = await rawConnect(broker.url, ['v12.stomp']);
    slow.send(CONNECT);
    slow.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/firehose', receipt: 'r' }));
    await slow.waitFor((f) => f.command === 'RECEIPT');
    // stop reading from the socket: the kernel buffers fill, then the broker's
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sender = await rawConnect(broker.url, ['v12.stomp']);
    sender.send(CONNECT);
    await sender.waitFor((f) => f.command === 'CONNECTED');
    const before = broker.metrics.slowConsumerDisconnects;
    const chunk = 'x'.repeat(16 * 1024);
    let frames = '';
    for (let i = 0; i < 20; i++) frames += frame('SEND', { destination: '/topic/firehose' }, chunk);
    for (let i = 0; i < 200 && broker.metrics.slowConsumerDisconnects === before; i++) {
      sender.send(frames);
      await sleep(5);
    }
    expect(broker.metrics.slowConsumerDisconnects).toBe(before + 1);
    expect(broker.metrics.errors['slow-consumer']).toBeGreaterThanOrEqual(1);
    sender.close();
    await bystanderStillWorks();
  });
});
