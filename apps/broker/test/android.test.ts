/**
 * The exact frames StompProtocolAndroid 1.6.6 (OkHttp) sends, and its reading rule (one frame
 * per WebSocket message, every header line matching `([^:\s]+)\s*:\s*([^:\s]+)`, README.md
 * "Android (StompProtocolAndroid) safety") checked on everything the broker sends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker';
import { androidReadProblems, frame, rawConnect, type RawClient } from '../testing/raw-client';
import { sleep } from '../../shared/sleep';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', HEARTBEAT_MIN_MS: '100', HEARTBEAT_SERVER_SEND_MS: '300', HEARTBEAT_SERVER_RECV_MS: '300' } });
});
afterAll(async () => {
  await broker.close();
});

/** What StompProtocolAndroid writes on connect: no subprotocol, no host, no receipt. */
async function androidConnect(login: string, heartBeat = '0,0'): Promise<RawClient> {
  const c = await rawConnect(broker.url); // OkHttp offers no Sec-WebSocket-Protocol
  expect(c.ws.protocol).toBe('');
  c.send(`CONNECT\naccept-version:1.1,1.2\nheart-beat:${heartBeat}\nlogin:${login}\npasscode:secret\n\n\0`);
  await c.waitFor((f) => f.command === 'CONNECTED');
  return c;
}

const uuid = () => crypto.randomUUID();

describe('StompProtocolAndroid 1.6.6 frames', () => {
  it('an app that adds a subprotocol and host is still recognised by its OkHttp upgrade', async () => {
    const room = '/topic/room.android-okhttp';
    const app = await rawConnect(broker.url, ['v12.stomp'], { headers: { 'User-Agent': 'okhttp/4.12.0' } });
    app.send(`CONNECT\naccept-version:1.1,1.2\nhost:chat.example\nheart-beat:0,0\nlogin:droid-ok\n\n\0`);
    await app.waitFor((f) => f.command === 'CONNECTED');
    app.send(`SUBSCRIBE\nid:${uuid()}\ndestination:${room}\nack:auto\nreceipt:r\n\n\0`);
    await app.waitFor((f) => f.command === 'RECEIPT');
    const web = await rawConnect(broker.url, ['v12.stomp']);
    web.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'kim' }));
    web.send(frame('SEND', { destination: room, 'x-display': 'Kim Minsu', 'x-room-kind': 'group' }, 'annyeong'));
    const m = await app.waitFor((f) => f.command === 'MESSAGE');
    expect(m.body.toString()).toBe('annyeong');
    expect(m.headers['x-display']).toBeUndefined(); // has a space: would kill the app's parser
    expect(m.headers['x-room-kind']).toBe('group');
    for (const raw of app.messages) expect(androidReadProblems(raw)).toEqual([]);
    app.close();
    web.close();
  });

  it('connect, subscribe, send without content-length, pings, close 1000 without DISCONNECT', async () => {
    const room = '/topic/room.android1';
    const a = await androidConnect('droid-a', '1000,1000');
    const b = await androidConnect('droid-b');
    // a web client in the same room, whose headers have spaces
    const web2 = await rawConnect(broker.url, ['v12.stomp']);
    web2.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'webuser' }));
    await web2.waitFor((f) => f.command === 'CONNECTED');

    a.send(`SUBSCRIBE\nid:${uuid()}\ndestination:${room}\nack:auto\n\n\0`);
    b.send(`SUBSCRIBE\nid:${uuid()}\ndestination:${room}\nack:auto\n\n\0`);
    web2.send(frame('SUBSCRIBE', { id: 'w', destination: room, receipt: 'rw' }));
    await web2.waitFor((f) => f.command === 'RECEIPT');
    // Android pings "\r\n" on a timer, also between frames
    a.send('\r\n');
    for (let i = 0; i < 10; i++) a.send(`SEND\ndestination:${room}\n\n{"n":${i},"text":"hello from android"}\0`);
    a.send('\r\n');
    web2.send(frame('SEND', { destination: room, 'content-type': 'text/plain; charset=utf-8', 'x-display-name': 'Web User', receipt: 'rs' }, 'from the web'));
    await web2.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'rs');

    for (const c of [a, b]) {
      const msgs = await c.waitForCount((f) => f.command === 'MESSAGE', 11);
      // per-sender order
      expect(msgs.slice(0, 10).map((m) => JSON.parse(m.body.toString()).n)).toEqual([...Array(10).keys()]);
      expect(msgs[10].body.toString()).toBe('from the web');
      expect(msgs[10].headers['x-display-name']).toBeUndefined(); // withheld: has a space
      expect(msgs[10].headers['content-type']).toBe('text/plain;charset=utf-8');
      for (const m of msgs) expect(m.headers.destination).toBe(room);
    }
    // the web client sees the user header unchanged
    const webMsgs = await web2.waitForCount((f) => f.command === 'MESSAGE', 11);
    expect(webMsgs[10].headers['x-display-name']).toBe('Web User');

    // a agreed heart-beats (1000,1000 vs server 300,300 → 1000 each way): wait for one
    await sleep(1100);
    expect(a.heartbeats).toBeGreaterThanOrEqual(1);
    // Android's reading rule on every WebSocket message the broker sent it
    for (const c of [a, b]) for (const m of c.messages) expect(androidReadProblems(m)).toEqual([]);
    // heart-beats are exactly "\n", each its own WebSocket message
    expect(a.messages.some((m) => m.toString() === '\n')).toBe(true);

    // close 1000 without DISCONNECT is a normal disconnect: subscriptions go away
    const subsBefore = broker.hub.subscriptions;
    a.close(1000);
    b.close(1000);
    await Promise.all([a.closed, b.closed]);
    await expect.poll(() => broker.hub.subscriptions).toBe(subsBefore - 2);
    web2.close();
  });

  it('accepts \\r\\n pings when heart-beats were refused (0,0)', async () => {
    const c = await androidConnect('droid-c', '0,0');
    for (let i = 0; i < 5; i++) c.send('\r\n');
    c.send(`SUBSCRIBE\nid:${uuid()}\ndestination:/topic/room.p\nack:auto\n\n\0`);
    c.send(`SEND\ndestination:/topic/room.p\n\nping-ok\0`);
    const m = await c.waitFor((f) => f.command === 'MESSAGE');
    expect(m.body.toString()).toBe('ping-ok');
    expect(c.isClosed()).toBe(false);
    c.close();
  });

  it('two subscribers, one sender, order kept per sender under load', async () => {
    const room = '/topic/room.order';
    const s1 = await androidConnect('o1');
    const s2 = await androidConnect('o2');
    const sender = await androidConnect('o3');
    // Android sends no receipts; the test adds one only to know the SUBSCRIBE is in place.
    for (const c of [s1, s2]) {
      c.send(`SUBSCRIBE\nid:${uuid()}\ndestination:${room}\nack:auto\nreceipt:r\n\n\0`);
      await c.waitFor((f) => f.command === 'RECEIPT');
    }
    const N = 2000;
    let batch = '';
    for (let i = 0; i < N; i++) batch += `SEND\ndestination:${room}\n\n${i}\0`;
    sender.send(batch); // many frames in one WebSocket message
    for (const c of [s1, s2]) {
      const msgs = await c.waitForCount((f) => f.command === 'MESSAGE', N, 10_000);
      expect(msgs.map((m) => Number(m.body.toString()))).toEqual([...Array(N).keys()]);
      expect(c.messages.filter((m) => m.toString() !== '\n').length).toBe(N + 2); // CONNECTED + RECEIPT + N: one frame per message
    }
    for (const c of [s1, s2, sender]) c.close();
  });
});
