import { describe, expect, it } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import { isRestrictedReader, negotiateHeartbeat, negotiateVersion, restrictedSafe } from './negotiate';
import { newHeaders } from '../../shared/stomp/frame';

const policy = { serverSendMs: 10_000, serverRecvMs: 10_000, minMs: 1_000 };

describe('negotiateVersion', () => {
  it('picks the highest common version; missing means 1.0', () => {
    expect(negotiateVersion(undefined)).toBe('1.0');
    expect(negotiateVersion('1.1,1.2')).toBe('1.2');
    expect(negotiateVersion('1.0, 1.1')).toBe('1.1');
    expect(negotiateVersion('1.0')).toBe('1.0');
  });
  it('fails with our versions in a version header', () => {
    try {
      negotiateVersion('2.0,3.1');
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(StompProtocolError);
      expect((e as StompProtocolError).headers.version).toBe('1.0,1.1,1.2');
    }
  });
});

describe('negotiateHeartbeat (1.2 "Heart-beating")', () => {
  it('0 on either side disables that direction', () => {
    expect(negotiateHeartbeat('0,0', policy)).toEqual({ header: '10000,10000', sendMs: 0, recvMs: 0 });
    expect(negotiateHeartbeat(undefined, policy)).toMatchObject({ sendMs: 0, recvMs: 0 });
    expect(negotiateHeartbeat('5000,0', policy)).toMatchObject({ sendMs: 0, recvMs: 10_000 });
    expect(negotiateHeartbeat('1,1', { ...policy, serverSendMs: 0, serverRecvMs: 0 })).toEqual({ header: '0,0', sendMs: 0, recvMs: 0 });
  });
  it('takes the larger of offer and want, floored at the minimum', () => {
    expect(negotiateHeartbeat('20000,30000', policy)).toMatchObject({ sendMs: 30_000, recvMs: 20_000 });
    expect(negotiateHeartbeat('10,10', { serverSendMs: 5, serverRecvMs: 5, minMs: 1000 })).toEqual({ header: '1000,1000', sendMs: 1000, recvMs: 1000 });
  });
  it('rejects malformed values', () => {
    for (const v of ['1', 'a,b', '-1,0', '1,2,3', '1;2']) expect(() => negotiateHeartbeat(v, policy)).toThrow(StompProtocolError);
    expect(negotiateHeartbeat(' 100 , 200 ', policy).recvMs).toBe(10_000);
  });
});

describe('restricted readers (StompProtocolAndroid)', () => {
  it('detects the Android handshake, honours the explicit flag', () => {
    const android = newHeaders([['accept-version', '1.1,1.2'], ['heart-beat', '0,0']]);
    const none = { subprotocol: null };
    expect(isRestrictedReader(android, none, true)).toBe(true);
    expect(isRestrictedReader(android, none, false)).toBe(false);
    expect(isRestrictedReader(android, { subprotocol: 'v12.stomp' }, true)).toBe(false);
    expect(isRestrictedReader(newHeaders([['accept-version', '1.1,1.2'], ['host', 'h']]), none, true)).toBe(false);
    expect(isRestrictedReader(newHeaders([['accept-version', '1.2'], ['x-restricted-headers', 'true']]), { subprotocol: 'v12.stomp' }, false)).toBe(true);
  });

  it('treats an OkHttp upgrade as Android even with a subprotocol or host, unless CONNECT opts out', () => {
    const okhttp = { subprotocol: 'v12.stomp', userAgent: 'okhttp/4.12.0' };
    const withHost = newHeaders([['accept-version', '1.1,1.2'], ['host', 'chat.example']]);
    expect(isRestrictedReader(withHost, okhttp, true)).toBe(true);
    expect(isRestrictedReader(withHost, { subprotocol: 'v12.stomp', userAgent: 'Mozilla/5.0' }, true)).toBe(false);
    expect(isRestrictedReader(newHeaders([['accept-version', '1.2'], ['x-restricted-headers', 'false']]), okhttp, true)).toBe(false);
    expect(isRestrictedReader(withHost, okhttp, false)).toBe(false);
  });
  it('matches the Android header regex', () => {
    expect(restrictedSafe('a', 'b')).toBe(true);
    expect(restrictedSafe('a', 'b c')).toBe(false);
    expect(restrictedSafe('a', 'b:c')).toBe(false);
    expect(restrictedSafe('a', '')).toBe(false);
    expect(restrictedSafe('a', 'b\tc')).toBe(false);
  });
});
