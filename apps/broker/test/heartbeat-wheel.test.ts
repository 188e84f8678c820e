/**
 * Heart-beats through the process's HeartbeatWheel, end to end over real sockets (STOMP 1.2
 * "Heart-beating"): the broker beats towards an idle peer and not towards one it is sending
 * to, closes a peer silent for more than twice its period, not while the broker itself holds
 * its reads, not after its own event loop stalled, and a closed connection leaves the wheel.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { AccessPolicy } from '../hub/access-policy';
import { testContext } from '../testing/session-harness';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';
import { WsEndpoint } from '../transport/ws-endpoint';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  url: string;
  endpoint: WsEndpoint;
  metrics: ReturnType<typeof testContext>['metrics'];
  close(): Promise<void>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** A WebSocket endpoint alone (no broker around it), heart-beats of 100 ms and up (tick 10 ms). */
async function endpoint(access?: AccessPolicy): Promise<Harness> {
  const { ctx, metrics } = testContext({ access, limits: { heartbeat: { serverSendMs: 100, serverRecvMs: 100, minMs: 50 } } });
  const ep = new WsEndpoint(
    {
      path: '/ws',
      maxConnections: 1000,
      maxPayload: 1024 * 1024,
      compression: false,
      loopbackOnly: false,
      origins: { allowedOrigins: new Set(), loopbackHostOnly: false },
      transport: {
        preConnectMaxBytes: 16 * 1024,
        sendBufferMaxBytes: 1024 * 1024,
        connectTimeoutMs: 5000,
        closeGraceMs: 1000,
        binaryOutput: false,
        compression: false,
        framesPerTurn: 100,
        frameTimeoutMs: 0,
        frame: { maxFrameBytes: 64 * 1024, maxBodyBytes: 64 * 1024, maxHeaders: 100, maxHeaderLineBytes: 8192 },
      },
      budget: { maxBytes: 0, checkMs: 100, stallMs: 1000 },
    },
    ctx,
    metrics,
  );
  const server: Server = createServer((_q, s) => s.end());
  server.on('upgrade', ep.handleUpgrade);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const h: Harness = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    endpoint: ep,
    metrics,
    async close() {
      await ep.drain(Date.now() + 2000);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  harnesses.push(h);
  return h;
}

interface Timed extends RawClient {
  /** performance.now() of every message, and whether it was a heart-beat (a lone EOL). */
  arrivals: Array<{ at: number; beat: boolean }>;
}

async function connect(h: Harness, heartBeat: string): Promise<Timed> {
  const c = (await rawConnect(h.url, ['v12.stomp'])) as Timed;
  c.arrivals = [];
  c.ws.on('message', (d: Buffer) => c.arrivals.push({ at: performance.now(), beat: d.length === 1 && d[0] === 0x0a }));
  c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: `u${Math.random()}`, 'heart-beat': heartBeat }));
  await c.waitFor((f) => f.command === 'CONNECTED');
  return c;
}

function gaps(ts: number[]): number[] {
  return ts.slice(1).map((t, i) => t - ts[i]);
}

describe('heart-beats on the wheel', () => {
  it('beats towards an idle peer at least every agreed period', async () => {
    const h = await endpoint();
    const c = await connect(h, '0,200'); // the peer wants one every 200 ms (server 100: agreed 200)
    const from = performance.now();
    await sleep(1500);
    const beats = c.arrivals.filter((a) => a.beat && a.at >= from).map((a) => a.at);
    expect(beats.length).toBeGreaterThanOrEqual(6);
    const g = gaps(beats).sort((a, b) => a - b);
    // Due one tick (10 ms) early, and up to 1/20 of the period earlier per connection; the
    // upper bound leaves room for a busy machine's timer lateness.
    expect(g[Math.floor(g.length / 2)]).toBeGreaterThan(150);
    expect(g[Math.floor(g.length / 2)]).toBeLessThanOrEqual(205);
    expect(g[g.length - 1]).toBeLessThan(400);
    c.close();
  });

  it('sends no heart-beat while other frames flow', async () => {
    const h = await endpoint();
    const sub = await connect(h, '0,200');
    sub.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/flow', receipt: 'r' }));
    await sub.waitFor((f) => f.command === 'RECEIPT');
    const pub = await connect(h, '0,0');
    const from = performance.now();
    for (let i = 0; i < 20; i++) {
      pub.send(frame('SEND', { destination: '/topic/flow' }, `m${i}`));
      await sleep(50);
    }
    await sub.waitForCount((f) => f.command === 'MESSAGE', 20);
    const during = sub.arrivals.filter((a) => a.at >= from);
    expect(during.filter((a) => !a.beat).length).toBe(20);
    expect(during.filter((a) => a.beat)).toHaveLength(0);
    // and once the flow stops, heart-beats resume
    await sleep(400);
    expect(sub.arrivals.filter((a) => a.beat && a.at > during[during.length - 1].at).length).toBeGreaterThanOrEqual(1);
    sub.close();
    pub.close();
  });

  it('closes a peer silent for more than twice its period, and not one that beats', async () => {
    const h = await endpoint();
    const alive = await connect(h, '200,0');
    const beat = setInterval(() => alive.send('\n'), 150);
    const silent = await connect(h, '200,0'); // agreed 200 ms from the peer: closed after > 400 ms of silence
    const t0 = performance.now();
    const err = await silent.waitFor((f) => f.command === 'ERROR', 3000);
    const after = performance.now() - t0;
    expect(err.headers.message).toBe('heartbeat-timeout');
    expect(after).toBeGreaterThanOrEqual(380); // measured from CONNECTED's arrival
    expect(after).toBeLessThan(1000);
    expect(h.metrics.heartbeatTimeouts).toBe(1);
    await silent.closed;
    await sleep(600);
    clearInterval(beat);
    expect(alive.isClosed()).toBe(false);
    expect(h.metrics.heartbeatTimeouts).toBe(1);
    alive.close();
  });

  it('does not close a peer while the broker holds its reads, and counts silence from the release', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const h = await endpoint({
      checkSubscribe: (_who, destination) => (destination === '/topic/held' ? held : undefined),
      checkPublish: () => {
        throw new StompProtocolError('forbidden', 'not in this test');
      },
    });
    const c = await connect(h, '200,0');
    c.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/held', receipt: 'r' }));
    // the peer is silent, but the broker is not reading it: no verdict on its silence
    await sleep(1200);
    expect(c.isClosed()).toBe(false);
    expect(h.metrics.heartbeatTimeouts).toBe(0);
    const t0 = performance.now();
    release();
    await c.waitFor((f) => f.command === 'RECEIPT');
    const err = await c.waitFor((f) => f.command === 'ERROR', 3000);
    expect(err.headers.message).toBe('heartbeat-timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(380);
    expect(h.metrics.heartbeatTimeouts).toBe(1);
  });

  it('does not close a peer whose heart-beat arrived while the event loop was blocked', async () => {
    const h = await endpoint();
    const c = await connect(h, '200,0');
    const beat = setInterval(() => c.send('\n'), 100);
    await sleep(300);
    // The peer's heart-beat is in the socket, then the event loop stalls for longer than twice
    // the period: the wheel runs before that heart-beat is read, and must not take it as silence.
    c.send('\n');
    const until = Date.now() + 900;
    while (Date.now() < until) {
      /* busy */
    }
    await sleep(300);
    clearInterval(beat);
    expect(c.isClosed()).toBe(false);
    expect(h.metrics.heartbeatTimeouts).toBe(0);
    c.close();
  });

  it('a connection leaves the wheel when it closes, however it closes', async () => {
    const h = await endpoint();
    const wheel = h.endpoint.heartbeats;
    const none = await connect(h, '0,0'); // no heart-beats either way: never in the wheel
    expect(wheel.size).toBe(0);
    const cs: Timed[] = [];
    for (let i = 0; i < 20; i++) cs.push(await connect(h, i % 2 ? '0,1000' : '1000,0'));
    expect(wheel.size).toBe(20);
    for (const c of cs.slice(0, 10)) c.close(); // the peer closes
    for (const c of cs.slice(10, 15)) c.send(frame('DISCONNECT', { receipt: 'bye' })); // STOMP DISCONNECT
    for (const c of cs.slice(15)) c.ws.terminate(); // the socket is cut
    await expect.poll(() => wheel.size, { timeout: 5000 }).toBe(0);
    // a heart-beat timeout removes it too
    const silent = await connect(h, '100,0');
    expect(wheel.size).toBe(1);
    await silent.closed;
    await expect.poll(() => wheel.size, { timeout: 2000 }).toBe(0);
    none.close();
    await none.closed;
    expect(h.endpoint.connections).toBe(0);
  });
});
