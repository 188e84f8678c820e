import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseLoadArgs, type LoadOptions } from '../cli/options';
import { credentialsFor } from './connect-headers';

const parse = (...argv: string[]): LoadOptions => {
  const r = parseLoadArgs(argv);
  if (r.help) throw new Error();
  return r.options;
};

describe('credentialsFor', () => {
  it('fills {user} in login and passcode, omits host and Authorization by default', async () => {
    const c = await credentialsFor(parse('--login', 'u{user}', '--passcode', 'p{user}'), 7);
    expect(c.connectHeaders).toMatchObject({ login: 'u7', passcode: 'p7', 'accept-version': '1.2,1.1,1.0', 'heart-beat': '0,0' });
    expect(c.connectHeaders.host).toBeUndefined();
    expect(c.connectHeaders.Authorization).toBeUndefined();
  });

  it('puts a shared token in passcode or in an Authorization header', async () => {
    expect((await credentialsFor(parse('--token', 'abc'), 1)).connectHeaders.passcode).toBe('abc');
    const h = (await credentialsFor(parse('--token', 'abc', '--token-in', 'header', '--host', '/'), 1)).connectHeaders;
    expect(h.Authorization).toBe('Bearer abc');
    expect(h.host).toBe('/');
  });

  it('mints one HS256 JWT per user whose subject is the login', async () => {
    const o = parse('--jwt-secret', 'a-test-secret-of-some-length', '--login', 'user{user}');
    const key = new TextEncoder().encode(o.jwtSecret);
    const c = await credentialsFor(o, 42, key);
    const { payload, protectedHeader } = await jwtVerify(c.connectHeaders.passcode!, key);
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe('user42');
    expect(payload.exp).toBeGreaterThan(Date.now() / 1000);
  });
});
