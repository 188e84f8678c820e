/**
 * JWT mode over real sockets: the token's four places, refusals, the subject as sender,
 * expiry while connected, frames queued behind the verification, and remote clients admitted
 * to the WebSocket while the REST routes stay loopback-only.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect, type RawClient } from '../testing/raw-client';
import { hsToken, TEST_SECRET } from '../testing/tokens';

let broker: BrokerHandle;
const clients: RawClient[] = [];
beforeAll(async () => {
  broker = await startBroker({ env: { JWT_SECRET: TEST_SECRET, PORT: '0', LOG_LEVEL: 'silent', ROOM_ACCESS: 'open' } });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await broker.close();
});

async function connect(url = broker.url, opts?: WebSocket.ClientOptions): Promise<RawClient> {
  const c = await rawConnect(url, undefined, opts);
  clients.push(c);
  return c;
}

/** GET with a chosen Host header (fetch does not let a caller set Host). */
function httpStatus(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: broker.port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const CONNECT = { 'accept-version': '1.2', host: 'localhost' };

async function connected(c: RawClient, headers: Record<string, string>): Promise<string> {
  c.send(frame('CONNECT', { ...CONNECT, ...headers }));
  const f = await c.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR');
  if (f.command !== 'CONNECTED') throw new Error(`ERROR ${f.headers.message}: ${f.body.toString()}`);
  return f.headers['user-name'];
}

async function refused(c: RawClient, headers: Record<string, string>): Promise<{ code: string; body: string }> {
  c.send(frame('CONNECT', { ...CONNECT, ...headers }));
  const f = await c.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR');
  expect(f.command).toBe('ERROR');
  // A clean close handshake, not a socket cut off after the close grace (1006).
  expect((await c.closed).code).not.toBe(1006);
  return { code: f.headers.message, body: f.body.toString() };
}

describe('JWT authentication on CONNECT', () => {
  it('takes the token from passcode', async () => {
    expect(await connected(await connect(), { login: 'ignored', passcode: await hsToken({ sub: 'alice' }) })).toBe('alice');
  });

  it('takes the token from a CONNECT Authorization: Bearer header', async () => {
    expect(await connected(await connect(), { Authorization: `Bearer ${await hsToken({ sub: 'bob' })}` })).toBe('bob');
  });

  it('takes the token from the upgrade request\'s Authorization header', async () => {
    const c = await connect(broker.url, { headers: { Authorization: `Bearer ${await hsToken({ sub: 'carol' })}` } });
    expect(await connected(c, {})).toBe('carol');
  });

  it('takes the token from ?access_token= on the upgrade URL', async () => {
    const c = await connect(`${broker.url}?access_token=${await hsToken({ sub: 'dave' })}`);
    expect(await connected(c, {})).toBe('dave');
  });

  it('refuses a missing, bad or expired token with ERROR unauthenticated, then closes', async () => {
    const missing = await refused(await connect(), { login: 'alice' });
    expect(missing.code).toBe('unauthenticated');
    expect(missing.body).toMatch(/no token/);
    const bad = await refused(await connect(), { passcode: await hsToken({}, 'some-other-secret-of-at-least-32-bytes!!') });
    expect(bad).toEqual({ code: 'unauthenticated', body: expect.stringMatching(/signature verification failed/) });
    const expired = await refused(await connect(), { passcode: await hsToken({ expiresIn: -120 }) });
    expect(expired).toEqual({ code: 'unauthenticated', body: expect.stringMatching(/expired/) });
    const badSubject = await refused(await connect(`${broker.url}?access_token=${await hsToken({ sub: 'no spaces allowed' })}`), {});
    expect(badSubject).toEqual({ code: 'unauthenticated', body: expect.stringMatching(/subject/) });
  });

  it('stamps the token\'s subject as x-sender, whatever the client sent', async () => {
    const reader = await connect();
    await connected(reader, { passcode: await hsToken({ sub: 'reader' }) });
    reader.send(frame('SUBSCRIBE', { id: 's1', destination: '/topic/room.jwt', receipt: 'sub' }));
    await reader.waitFor((f) => f.command === 'RECEIPT');
    const sender = await connect();
    await connected(sender, { login: 'mallory', passcode: await hsToken({ sub: 'alice' }) });
    sender.send(frame('SEND', { destination: '/topic/room.jwt', 'x-sender': 'mallory', receipt: 'sent' }, 'hi'));
    await sender.waitFor((f) => f.command === 'RECEIPT');
    const m = await reader.waitFor((f) => f.command === 'MESSAGE');
    expect(m.headers['x-sender']).toBe('alice');
    expect(m.body.toString()).toBe('hi');
  });

  it('handles frames sent right behind CONNECT in order, after verification', async () => {
    const c = await connect();
    const token = await hsToken({ sub: 'eager' });
    c.send(
      frame('CONNECT', { ...CONNECT, passcode: token }) +
        frame('SUBSCRIBE', { id: 's1', destination: '/topic/eager', receipt: 'r1' }) +
        frame('SEND', { destination: '/topic/eager', receipt: 'r2' }, 'first') +
        frame('UNSUBSCRIBE', { id: 's1', receipt: 'r3' }),
    );
    await c.waitFor((f) => f.headers['receipt-id'] === 'r3');
    const seen = c.frames.map((f) => (f.command === 'RECEIPT' ? `RECEIPT ${f.headers['receipt-id']}` : f.command));
    expect(seen).toEqual(['CONNECTED', 'RECEIPT r1', 'MESSAGE', 'RECEIPT r2', 'RECEIPT r3']);
    expect(c.frames[2].headers['x-sender']).toBe('eager');
  });

  it('closes a connection whose token expires with ERROR token-expired', async () => {
    const c = await connect();
    // `exp` is in whole seconds: this token expires 1-2 s from now.
    await connected(c, { passcode: await hsToken({ sub: 'brief', expiresIn: 2 }) });
    const started = Date.now();
    const e = await c.waitFor((f) => f.command === 'ERROR', 5000);
    expect(e.headers.message).toBe('token-expired');
    expect((await c.closed).code).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThan(500);
  });

  it('admits WebSocket and REST clients addressed by any host name; REST needs the token', async () => {
    const c = await connect(broker.url, { headers: { Host: `chat.example.com:${broker.port}` } });
    expect(await connected(c, { passcode: await hsToken({ sub: 'remote' }) })).toBe('remote');
    expect(await httpStatus('/api/me', `chat.example.com:${broker.port}`)).toBe(401);
    expect(await httpStatus('/metrics', `chat.example.com:${broker.port}`)).toBe(200);
    expect(await httpStatus('/healthz', `chat.example.com:${broker.port}`)).toBe(200);
  });
});

describe('development mode for contrast', () => {
  it('refuses a Host that does not name this machine', async () => {
    const dev = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent' } });
    try {
      await expect(rawConnect(dev.url, undefined, { headers: { Host: `chat.example.com:${dev.port}` } })).rejects.toThrow(/403/);
    } finally {
      await dev.close();
    }
  });
});
