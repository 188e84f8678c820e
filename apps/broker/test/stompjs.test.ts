/**
 * End to end with the real @stomp/stompjs client over real sockets.
 */
import { Client, type IMessage } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBroker, type BrokerHandle } from '../broker';
import { sleep } from '../../shared/sleep';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', HEARTBEAT_MIN_MS: '100', HEARTBEAT_SERVER_SEND_MS: '100', HEARTBEAT_SERVER_RECV_MS: '100' } });
});
afterAll(async () => {
  await broker.close();
});

function client(opts: Partial<ConstructorParameters<typeof Client>[0]> = {}): Client {
  return new Client({
    webSocketFactory: () => new WebSocket(broker.url, ['v12.stomp', 'v11.stomp']),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    ...opts,
  });
}

function connect(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    c.onConnect = () => resolve();
    c.onStompError = (f) => reject(new Error(f.headers.message));
    c.onWebSocketError = () => reject(new Error('ws error'));
    c.activate();
  });
}

function collect(c: Client, destination: string, n: number, headers: Record<string, string> = {}) {
  const got: IMessage[] = [];
  let done!: (m: IMessage[]) => void;
  const all = new Promise<IMessage[]>((r) => (done = r));
  const sub = c.subscribe(destination, (m) => {
    got.push(m);
    if (got.length === n) done(got);
  }, headers);
  return { got, all, sub };
}

describe('@stomp/stompjs end to end', () => {
  it('connects, subscribes, sends with receipt, receives in order, disconnects with receipt', async () => {
    const a = client({ connectHeaders: { login: 'alice' } });
    const b = client({ connectHeaders: { login: 'bob' } });
    const c = client({ connectHeaders: { login: 'carol' } });
    await Promise.all([connect(a), connect(b), connect(c)]);
    const receiptSub = new Promise<void>((r) => b.watchForReceipt('sub-b', () => r()));
    const inB = collect(b, '/topic/room.e2e', 50, { receipt: 'sub-b' });
    const inC = collect(c, '/topic/room.e2e', 50);
    await receiptSub;
    const sendReceipt = new Promise<void>((r) => a.watchForReceipt('last', () => r()));
    for (let i = 0; i < 50; i++) {
      a.publish({ destination: '/topic/room.e2e', body: `msg ${i}`, headers: i === 49 ? { receipt: 'last' } : {} });
    }
    await sendReceipt;
    const [gotB, gotC] = await Promise.all([inB.all, inC.all]);
    for (const got of [gotB, gotC]) {
      expect(got.map((m) => m.body)).toEqual(Array.from({ length: 50 }, (_, i) => `msg ${i}`));
      expect(got[0].headers['x-sender']).toBe('alice');
      expect(got[0].headers.destination).toBe('/topic/room.e2e');
    }
    // message ids are unique and sort in send order
    const ids = gotB.map((m) => m.headers['message-id']);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);

    // DISCONNECT with receipt: stompjs waits for the RECEIPT before closing
    const closed = new Promise<void>((r) => (a.onWebSocketClose = () => r()));
    let disconnectReceipt = false;
    a.onDisconnect = () => (disconnectReceipt = true);
    await a.deactivate();
    await closed;
    expect(disconnectReceipt).toBe(true);
    await Promise.all([b.deactivate(), c.deactivate()]);
  });

  it('acks in client-individual mode with prefetch', async () => {
    const a = client();
    const b = client();
    await Promise.all([connect(a), connect(b)]);
    const got: IMessage[] = [];
    const receipt = new Promise<void>((r) => b.watchForReceipt('s', () => r()));
    b.subscribe('/queue/work', (m) => {
      got.push(m);
      m.ack();
    }, { ack: 'client-individual', 'prefetch-count': '2', receipt: 's' });
    await receipt;
    for (let i = 0; i < 20; i++) a.publish({ destination: '/queue/work', body: String(i) });
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(20);
    expect(got.map((m) => m.body)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await Promise.all([a.deactivate(), b.deactivate()]);
  });

  it('exchanges heart-beats in both directions and stays connected', async () => {
    const log: string[] = [];
    const a = client({ heartbeatIncoming: 200, heartbeatOutgoing: 200, debug: (m) => log.push(m) });
    await connect(a);
    const before = broker.metrics.heartbeatTimeouts;
    await sleep(1200);
    expect(a.connected).toBe(true);
    expect(broker.metrics.heartbeatTimeouts).toBe(before);
    // agreed 200 ms each way: several PINGs sent and PONGs (server EOLs) received in 1.2 s
    expect(log.filter((m) => m.includes('<<< PONG')).length).toBeGreaterThanOrEqual(3);
    expect(log.filter((m) => m.includes('>>> PING')).length).toBeGreaterThanOrEqual(3);
    await a.deactivate();
  });

  it('negotiates the v12.stomp subprotocol', async () => {
    const ws = new WebSocket(broker.url, ['v10.stomp', 'v12.stomp', 'v11.stomp']);
    await new Promise((r) => ws.once('open', r));
    expect(ws.protocol).toBe('v12.stomp');
    ws.close();
    // An offer we cannot honour gets no echo; ws (a strict client) then refuses the socket.
    const ws2 = new WebSocket(broker.url, ['mqtt']);
    const err = await new Promise<Error>((r) => ws2.once('error', r));
    expect(err.message).toMatch(/no subprotocol/);
    // No offer at all (OkHttp's default): no echo, connection fine.
    const ws3 = new WebSocket(broker.url);
    await new Promise((r) => ws3.once('open', r));
    expect(ws3.protocol).toBe('');
    ws3.close();
  });
});
