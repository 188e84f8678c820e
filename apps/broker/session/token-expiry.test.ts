/**
 * The session's side of token expiry and of the upgrade token: one timer per connection, set
 * when CONNECT succeeds from Principal.expiresAt, fired as ERROR token-expired, cleared on close;
 * Handshake.token reaches the authenticator; a refused asynchronous CONNECT lifts the read pause.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { Headers } from '../../shared/stomp/frame';
import { f, fakeIO, testContext } from '../testing/session-harness';
import { Session } from './session';
import type { Authenticator } from './authenticator';

afterEach(() => vi.useRealTimers());

const CONNECT = f('CONNECT', { 'accept-version': '1.2' });

function expiringAuth(inMs: number | undefined): Authenticator {
  return { mode: 'jwt', authenticate: () => ({ userId: 'alice', expiresAt: inMs === undefined ? undefined : Date.now() + inMs }) };
}

describe('Session: token expiry', () => {
  it('closes with ERROR token-expired at expiresAt', () => {
    vi.useFakeTimers();
    const a = testContext({ auth: expiringAuth(5000) }).open();
    a.send(CONNECT);
    expect(a.io.frames[0].command).toBe('CONNECTED');
    vi.advanceTimersByTime(4999);
    expect(a.io.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(a.io.frames[1].command).toBe('ERROR');
    expect(a.io.frames[1].headers.message).toBe('token-expired');
    expect(a.io.closed).toBe(true);
    expect(a.session.state).toBe('closed');
  });

  it('clears the timer when the connection closes first, and sets none without expiresAt', () => {
    vi.useFakeTimers();
    const a = testContext({ auth: expiringAuth(5000) }).open();
    a.send(CONNECT);
    a.session.handleClose();
    expect(vi.getTimerCount()).toBe(0);
    const b = testContext({ auth: expiringAuth(undefined) }).open();
    b.send(CONNECT);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 ** 9);
    expect(b.io.frames.map((x) => x.command)).toEqual(['CONNECTED']);
  });

  it('passes the upgrade request\'s token to the authenticator', () => {
    const seen: (string | undefined)[] = [];
    const auth: Authenticator = { mode: 'jwt', authenticate: (_h: Headers, token?: string) => (seen.push(token), { userId: 'u' }) };
    const t = testContext({ auth });
    new Session(t.ctx, fakeIO(), { remoteAddress: '::1', subprotocol: null, token: 'tkn' }).handleFrame(CONNECT);
    t.open().send(CONNECT);
    expect(seen).toEqual(['tkn', undefined]);
  });

  it('a refused asynchronous CONNECT sends ERROR unauthenticated, closes and lifts the read pause', async () => {
    const auth: Authenticator = { mode: 'jwt', authenticate: () => Promise.reject(new StompProtocolError('unauthenticated', 'invalid token: signature verification failed')) };
    const a = testContext({ auth }).open();
    a.send(f('CONNECT', { 'accept-version': '1.2', receipt: 'c' }));
    a.send(f('SUBSCRIBE', { id: 's', destination: '/topic/t' }));
    expect(a.io.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(a.io.frames.map((x) => `${x.command} ${x.headers.message ?? ''}`)).toEqual(['ERROR unauthenticated']);
    expect(a.io.frames[0].body.toString()).toMatch(/signature/);
    expect(a.io.frames[0].headers['receipt-id']).toBe('c');
    expect(a.io.closed).toBe(true);
    expect(a.io.paused).toBe(false);
  });
});
