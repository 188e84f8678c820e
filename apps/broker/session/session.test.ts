import { describe, expect, it } from 'vitest';
import { OffloadFullError, type Offload } from '../../shared/queue/offload';
import type { OutboundMessage } from '../../shared/message';
import { f, testContext } from '../testing/session-harness';

const CONNECT12 = f('CONNECT', { 'accept-version': '1.2', host: 'x', login: 'alice' });
const tick = () => new Promise((r) => setImmediate(r));

describe('Session: CONNECT', () => {
  it('negotiates the highest common version and heart-beats', () => {
    const { open } = testContext();
    const { io, send } = open();
    send(f('CONNECT', { 'accept-version': '1.0,1.1,1.2', host: 'x', 'heart-beat': '5000,20000' }));
    const c = io.frames[0];
    expect(c.command).toBe('CONNECTED');
    expect(c.headers.version).toBe('1.2');
    expect(c.headers['heart-beat']).toBe('10000,10000');
    // we send every max(10000, 20000); client promised every max(5000, 10000)
    expect(io.heartbeat).toEqual({ sendMs: 20000, recvMs: 10000 });
  });

  it('treats a missing accept-version as 1.0 and STOMP like CONNECT', () => {
    const { open } = testContext();
    const { io, send } = open();
    send(f('STOMP', {}));
    expect(io.frames[0].headers.version).toBe('1.0');
  });

  it('answers ERROR with a version header when no version is common', () => {
    const { open } = testContext();
    const { io, send } = open();
    send(f('CONNECT', { 'accept-version': '2.0' }));
    expect(io.frames[0].command).toBe('ERROR');
    expect(io.frames[0].headers.message).toBe('version-mismatch');
    expect(io.frames[0].headers.version).toBe('1.0,1.1,1.2');
    expect(io.closed).toBe(true);
  });

  it('refuses frames before CONNECT and a second CONNECT', () => {
    const a = testContext().open();
    a.send(f('SEND', { destination: '/a', receipt: 'r1' }));
    expect(a.io.frames[0].headers.message).toBe('not-connected');
    expect(a.io.frames[0].headers['receipt-id']).toBe('r1');
    const b = testContext().open();
    b.send(CONNECT12);
    b.send(CONNECT12);
    expect(b.io.frames[1].headers.message).toBe('already-connected');
  });

  it('rejects a malformed heart-beat', () => {
    const { io, send } = testContext().open();
    send(f('CONNECT', { 'accept-version': '1.2', 'heart-beat': 'soon' }));
    expect(io.frames[0].headers.message).toBe('bad-header-value');
  });

  it('floors tiny heart-beat requests at the configured minimum', () => {
    const { io, send } = testContext().open();
    send(f('CONNECT', { 'accept-version': '1.2', 'heart-beat': '1,1' }));
    expect(io.heartbeat).toEqual({ sendMs: 10000, recvMs: 10000 });
  });
});

describe('Session: SUBSCRIBE / SEND / MESSAGE', () => {
  it('delivers with destination, subscription, message-id, content-length and user headers', () => {
    const t = testContext();
    const a = t.open();
    const b = t.open();
    a.send(CONNECT12);
    b.send(CONNECT12);
    a.send(f('SUBSCRIBE', { id: 's1', destination: '/topic/room.1' }));
    b.send(f('SEND', { destination: '/topic/room.1', 'content-type': 'text/plain', 'x-custom': 'v w' }, 'hello'));
    const m = a.io.frames.find((x) => x.command === 'MESSAGE')!;
    expect(m.headers.destination).toBe('/topic/room.1');
    expect(m.headers.subscription).toBe('s1');
    expect(m.headers['message-id']).toMatch(/^[0-9a-z]{9}-[0-9a-z]{4}-test$/);
    expect(m.headers['content-length']).toBe('5');
    expect(m.headers['content-type']).toBe('text/plain');
    expect(m.headers['x-custom']).toBe('v w');
    expect(m.headers['x-sender']).toBe('alice');
    expect(m.body.toString()).toBe('hello');
  });

  it('rejects a SEND without destination and a duplicate subscription id', () => {
    const t = testContext();
    const a = t.open();
    a.send(CONNECT12);
    a.send(f('SEND', {}));
    expect(a.io.frames.at(-1)!.headers.message).toBe('missing-header');
    const b = t.open();
    b.send(CONNECT12);
    b.send(f('SUBSCRIBE', { id: 's', destination: '/a' }));
    b.send(f('SUBSCRIBE', { id: 's', destination: '/b' }));
    expect(b.io.frames.at(-1)!.headers.message).toBe('duplicate-subscription');
    expect(t.hub.destinations).toBe(0); // closing removed the first one too
  });

  it('leaves no registry residue after UNSUBSCRIBE and close', () => {
    const t = testContext();
    const a = t.open();
    a.send(CONNECT12);
    for (let i = 0; i < 5; i++) a.send(f('SUBSCRIBE', { id: `s${i}`, destination: `/d/${i % 2}` }));
    expect(t.hub.subscriptions).toBe(5);
    a.send(f('UNSUBSCRIBE', { id: 's0' }));
    expect(t.hub.subscriptions).toBe(4);
    a.session.handleClose();
    expect(t.hub.subscriptions).toBe(0);
    expect(t.hub.destinations).toBe(0);
  });

  it('writes RECEIPTs in frame order, a SEND receipt after its offload confirm', async () => {
    let confirm!: () => void;
    const slow: Offload = {
      kind: 'slow',
      publish: () => new Promise<void>((r) => (confirm = r)),
      depth: () => 0,
      isReady: () => true,
      start: async () => {},
      close: async () => {},
    };
    const t = testContext({ offload: slow });
    const a = t.open();
    a.send(CONNECT12);
    a.send(f('SEND', { destination: '/a', receipt: 'r-send' }));
    a.send(f('SUBSCRIBE', { id: 's', destination: '/b', receipt: 'r-sub' }));
    expect(a.io.frames.filter((x) => x.command === 'RECEIPT')).toHaveLength(0);
    confirm();
    await tick();
    expect(a.io.frames.filter((x) => x.command === 'RECEIPT').map((x) => x.headers['receipt-id'])).toEqual(['r-send', 'r-sub']);
  });

  it('refuses a SEND whose header holds a NUL (the store cannot keep it) before any receipt or delivery', () => {
    const published: OutboundMessage[] = [];
    const t = testContext({ offload: { kind: 'spy', publish: async (m) => void published.push(m), depth: () => 0, isReady: () => true, start: async () => {}, close: async () => {} } });
    const a = t.open();
    a.send(CONNECT12);
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/room.nul' }));
    a.send(f('SEND', { destination: '/topic/room.nul', 'x-tag': 'a\u0000b', receipt: 'r' }, 'x'));
    const err = a.io.frames.at(-1)!;
    expect(err.command).toBe('ERROR');
    expect(err.headers.message).toBe('bad-header-value');
    expect(err.headers['receipt-id']).toBe('r');
    expect(a.io.frames.some((x) => x.command === 'RECEIPT' || x.command === 'MESSAGE')).toBe(false);
    expect(published).toHaveLength(0);
  });

  it('answers ERROR offload-full when the offload refuses, before delivering', () => {
    const full: Offload = {
      kind: 'full',
      publish: () => {
        throw new OffloadFullError();
      },
      depth: () => 0,
      isReady: () => true,
      start: async () => {},
      close: async () => {},
    };
    const t = testContext({ offload: full });
    const sub = t.open();
    sub.send(CONNECT12);
    sub.send(f('SUBSCRIBE', { id: 's', destination: '/a' }));
    const a = t.open();
    a.send(CONNECT12);
    a.send(f('SEND', { destination: '/a', receipt: 'r' }));
    const err = a.io.frames.at(-1)!;
    expect(err.headers.message).toBe('offload-full');
    expect(err.headers['receipt-id']).toBe('r');
    expect(sub.io.frames.some((x) => x.command === 'MESSAGE')).toBe(false);
  });

  it('DISCONNECT receipt comes last, then close', () => {
    const a = testContext().open();
    a.send(CONNECT12);
    a.send(f('DISCONNECT', { receipt: 'bye' }));
    expect(a.io.frames.at(-1)!.command).toBe('RECEIPT');
    expect(a.io.frames.at(-1)!.headers['receipt-id']).toBe('bye');
    expect(a.io.closed).toBe(true);
  });
});

describe('Session: ACK / NACK / prefetch', () => {
  function setup(ack: string, prefetch?: number, version = '1.2') {
    const t = testContext();
    const c = t.open();
    c.send(f('CONNECT', { 'accept-version': version, host: 'h' }));
    const h: Record<string, string> = { id: 's', destination: '/q', ack };
    if (prefetch !== undefined) h['prefetch-count'] = String(prefetch);
    c.send(f('SUBSCRIBE', h));
    const p = t.open();
    p.send(CONNECT12);
    const sendN = (n: number) => {
      for (let i = 0; i < n; i++) p.send(f('SEND', { destination: '/q' }, `m${i}`));
    };
    const msgs = () => c.io.frames.filter((x) => x.command === 'MESSAGE');
    return { t, c, sendN, msgs };
  }

  it('client-individual: acks one message; unknown ack id is an ERROR', () => {
    const { c, sendN, msgs } = setup('client-individual');
    sendN(2);
    const [m0, m1] = msgs();
    expect(m0.headers.ack).toBeDefined();
    c.send(f('ACK', { id: m1.headers.ack }));
    c.send(f('ACK', { id: m0.headers.ack }));
    expect(c.io.closed).toBe(false);
    c.send(f('ACK', { id: m0.headers.ack }));
    expect(c.io.frames.at(-1)!.headers.message).toBe('unknown-ack');
  });

  it('client mode acks cumulatively', () => {
    const { c, sendN, msgs } = setup('client');
    sendN(3);
    c.send(f('ACK', { id: msgs()[1].headers.ack }));
    c.send(f('ACK', { id: msgs()[0].headers.ack })); // already covered by the cumulative ack
    expect(c.io.frames.at(-1)!.headers.message).toBe('unknown-ack');
  });

  it('prefetch-count holds messages until ACKs free the window', () => {
    const { c, sendN, msgs } = setup('client-individual', 2);
    sendN(4);
    expect(msgs()).toHaveLength(2);
    c.send(f('ACK', { id: msgs()[0].headers.ack }));
    expect(msgs()).toHaveLength(3);
    c.send(f('NACK', { id: msgs()[1].headers.ack }));
    expect(msgs().map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('a backlog past the pending limit disconnects the slow consumer', () => {
    const { t, c, sendN } = setup('client', 1);
    sendN(1 + 5 + 1);
    expect(c.io.frames.at(-1)!.headers.message).toBe('slow-consumer');
    expect(t.metrics.slowConsumerDisconnects).toBe(1);
  });

  it('1.1 acks by message-id + subscription', () => {
    const { c, sendN, msgs } = setup('client-individual', undefined, '1.1');
    sendN(1);
    const m = msgs()[0];
    expect(m.headers.ack).toBeUndefined();
    c.send(f('ACK', { 'message-id': m.headers['message-id'], subscription: 's' }));
    expect(c.io.closed).toBe(false);
    c.send(f('ACK', { 'message-id': m.headers['message-id'], subscription: 's' }));
    expect(c.io.frames.at(-1)!.headers.message).toBe('unknown-ack');
  });
});

describe('Session: transactions', () => {
  it('holds SENDs until COMMIT, drops them on ABORT', async () => {
    const t = testContext();
    const s = t.open();
    s.send(CONNECT12);
    s.send(f('SUBSCRIBE', { id: 's', destination: '/t' }));
    const p = t.open();
    p.send(CONNECT12);
    p.send(f('BEGIN', { transaction: 'tx1' }));
    p.send(f('SEND', { destination: '/t', transaction: 'tx1' }, 'a'));
    p.send(f('SEND', { destination: '/t', transaction: 'tx1' }, 'b'));
    expect(s.io.frames.filter((x) => x.command === 'MESSAGE')).toHaveLength(0);
    p.send(f('COMMIT', { transaction: 'tx1', receipt: 'c' }));
    expect(s.io.frames.filter((x) => x.command === 'MESSAGE').map((x) => x.body.toString())).toEqual(['a', 'b']);
    await tick();
    expect(p.io.frames.at(-1)!.headers['receipt-id']).toBe('c');
    p.send(f('BEGIN', { transaction: 'tx2' }));
    p.send(f('SEND', { destination: '/t', transaction: 'tx2' }, 'c'));
    p.send(f('ABORT', { transaction: 'tx2' }));
    expect(s.io.frames.filter((x) => x.command === 'MESSAGE')).toHaveLength(2);
  });

  it('unknown transaction and transaction limits are ERRORs', () => {
    const t = testContext();
    const p = t.open();
    p.send(CONNECT12);
    p.send(f('SEND', { destination: '/t', transaction: 'nope' }));
    expect(p.io.frames.at(-1)!.headers.message).toBe('unknown-transaction');
    const q = t.open();
    q.send(CONNECT12);
    q.send(f('BEGIN', { transaction: 'a' }));
    for (let i = 0; i < 6; i++) q.send(f('SEND', { destination: '/t', transaction: 'a' }));
    expect(q.io.frames.at(-1)!.headers.message).toBe('transaction-too-large');
  });
});

describe('Session: Android safety', () => {
  it('withholds headers Android cannot read from a detected Android connection, once per variant', () => {
    const t = testContext();
    const android = t.open({ remoteAddress: '127.0.0.1', subprotocol: null });
    android.send(f('CONNECT', { 'accept-version': '1.1,1.2', 'heart-beat': '0,0', login: 'bob', passcode: 'x' }));
    expect(android.session.restricted).toBe(true);
    android.send(f('SUBSCRIBE', { id: '0f8e8a7c-2a4b-4c38-9d1e-5b3f6a7c8d9e', destination: '/topic/room.7', ack: 'auto' }));
    const web = t.open();
    web.send(CONNECT12);
    web.send(f('SUBSCRIBE', { id: 'w', destination: '/topic/room.7' }));
    web.send(f('SEND', { destination: '/topic/room.7', 'content-type': 'text/plain; charset=utf-8', 'x-note': 'has space', 'x-ok': 'fine' }, 'hi'));
    const am = android.io.frames.find((x) => x.command === 'MESSAGE')!;
    expect(am.headers['x-note']).toBeUndefined();
    expect(am.headers['x-ok']).toBe('fine');
    expect(am.headers['content-type']).toBe('text/plain;charset=utf-8');
    const wm = web.io.frames.find((x) => x.command === 'MESSAGE')!;
    expect(wm.headers['x-note']).toBe('has space');
    expect(wm.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('honours the explicit CONNECT flag either way', () => {
    const t = testContext();
    const a = t.open({ remoteAddress: '127.0.0.1', subprotocol: null });
    a.send(f('CONNECT', { 'accept-version': '1.1,1.2', 'x-restricted-headers': 'false' }));
    expect(a.session.restricted).toBe(false);
    const b = t.open();
    b.send(f('CONNECT', { 'accept-version': '1.2', host: 'h', 'x-restricted-headers': 'true' }));
    expect(b.session.restricted).toBe(true);
  });
});

describe('Session: history on SUBSCRIBE', () => {
  it('replays history first, then live, without gap or duplicate', async () => {
    const stored: OutboundMessage[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = testContext({
      history: {
        query: async () => {
          await gate;
          return stored;
        },
      },
    });
    const p = t.open();
    p.send(CONNECT12);
    for (let i = 0; i < 3; i++) p.send(f('SEND', { destination: '/topic/room.h' }, `old${i}`));
    await tick();
    const s = t.open();
    s.send(CONNECT12);
    s.send(f('SUBSCRIBE', { id: 's', destination: '/topic/room.h', 'x-history-last': '10', receipt: 'r' }));
    // live messages while the history query is in flight
    for (let i = 0; i < 2; i++) p.send(f('SEND', { destination: '/topic/room.h' }, `new${i}`));
    expect(s.io.frames.filter((x) => x.command === 'MESSAGE')).toHaveLength(0);
    release();
    await tick();
    const msgs = s.io.frames.filter((x) => x.command === 'MESSAGE');
    expect(msgs.map((m) => m.body.toString())).toEqual(['old0', 'old1', 'old2', 'new0', 'new1']);
    expect(msgs.map((m) => m.headers['x-history'])).toEqual(['true', 'true', 'true', undefined, undefined]);
  });
});
