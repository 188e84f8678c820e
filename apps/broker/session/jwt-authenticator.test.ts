/** The JWT authenticator with a shared secret (HS256): every check jose makes, and the token's sources. */
import { describe, expect, it } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import { hsToken, TEST_SECRET } from '../testing/tokens';
import { jwtAuthenticator, type JwtAuthOptions } from './jwt-authenticator';

const base: JwtAuthOptions = { key: new TextEncoder().encode(TEST_SECRET), clockSkewS: 30, expiryGraceS: 0 };

async function refusal(p: () => unknown): Promise<StompProtocolError> {
  try {
    await p();
  } catch (e) {
    expect(e).toBeInstanceOf(StompProtocolError);
    expect((e as StompProtocolError).code).toBe('unauthenticated');
    return e as StompProtocolError;
  }
  throw new Error('expected a refusal');
}

describe('jwtAuthenticator (HS256)', () => {
  const auth = jwtAuthenticator(base);

  it('takes a good token: the subject is the user, expiresAt is exp', async () => {
    const token = await hsToken({ sub: 'alice@example.com', expiresIn: 600 });
    const p = await auth.authenticate({ passcode: token });
    expect(p.userId).toBe('alice@example.com');
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
    expect(p.expiresAt).toBe(exp * 1000);
    expect(auth.mode).toBe('jwt');
  });

  it('adds the grace to expiresAt, and leaves it out with grace -1', async () => {
    const token = await hsToken();
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
    expect((await jwtAuthenticator({ ...base, expiryGraceS: 90 }).authenticate({ passcode: token })).expiresAt).toBe((exp + 90) * 1000);
    expect((await jwtAuthenticator({ ...base, expiryGraceS: -1 }).authenticate({ passcode: token })).expiresAt).toBeUndefined();
  });

  it('reads the token from passcode, then Authorization: Bearer, then the upgrade request', async () => {
    const good = await hsToken({ sub: 'bob' });
    const other = await hsToken({ sub: 'carol' });
    expect((await auth.authenticate({ Authorization: `Bearer ${good}` })).userId).toBe('bob');
    expect((await auth.authenticate({ authorization: `bearer ${good}` })).userId).toBe('bob');
    expect((await auth.authenticate({}, good)).userId).toBe('bob');
    expect((await auth.authenticate({ passcode: other, Authorization: `Bearer ${good}` }, good)).userId).toBe('carol');
    expect((await auth.authenticate({ Authorization: `Bearer ${other}` }, good)).userId).toBe('carol');
  });

  it('refuses a missing token', async () => {
    expect((await refusal(() => auth.authenticate({}))).message).toMatch(/no token/);
    expect((await refusal(() => auth.authenticate({ login: 'alice', passcode: '' }))).message).toMatch(/no token/);
    expect((await refusal(() => auth.authenticate({ Authorization: 'Basic YWxpY2U6cHc=' }))).message).toMatch(/no token/);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await hsToken({}, 'another-secret-of-at-least-32-bytes-xxxxxx');
    expect((await refusal(() => auth.authenticate({ passcode: token }))).message).toMatch(/signature verification failed/);
  });

  it('refuses garbage and another algorithm', async () => {
    expect((await refusal(() => auth.authenticate({ passcode: 'not-a-jwt' }))).message).toMatch(/^invalid token/);
    // alg "none" (RFC 8725 2.1): an unsigned token must never pass.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'alice', exp: 9e9 })).toString('base64url')}.`;
    expect((await refusal(() => auth.authenticate({ passcode: none }))).message).toMatch(/^invalid token/);
  });

  it('refuses an expired token, beyond the clock skew only', async () => {
    expect((await refusal(async () => auth.authenticate({ passcode: await hsToken({ expiresIn: -60 }) }))).message).toMatch(/expired/);
    expect((await auth.authenticate({ passcode: await hsToken({ expiresIn: -10 }) })).userId).toBe('alice');
    const strict = jwtAuthenticator({ ...base, clockSkewS: 0 });
    await refusal(async () => strict.authenticate({ passcode: await hsToken({ expiresIn: -10 }) }));
  });

  it('refuses a token without exp', async () => {
    expect((await refusal(async () => auth.authenticate({ passcode: await hsToken({ expiresIn: null }) }))).message).toMatch(/"exp"/);
  });

  it('refuses a token not yet valid, beyond the clock skew only', async () => {
    expect((await refusal(async () => auth.authenticate({ passcode: await hsToken({ notBefore: 120 }) }))).message).toMatch(/"nbf"/);
    expect((await auth.authenticate({ passcode: await hsToken({ notBefore: 10 }) })).userId).toBe('alice');
  });

  it('checks issuer and audience when configured', async () => {
    const strict = jwtAuthenticator({ ...base, issuer: 'https://id.example', audience: ['chat', 'chat-staging'] });
    const ok = await hsToken({ issuer: 'https://id.example', audience: 'chat-staging' });
    expect((await strict.authenticate({ passcode: ok })).userId).toBe('alice');
    expect((await refusal(async () => strict.authenticate({ passcode: await hsToken({ issuer: 'https://evil.example', audience: 'chat' }) }))).message).toMatch(/"iss"/);
    expect((await refusal(async () => strict.authenticate({ passcode: await hsToken({ issuer: 'https://id.example', audience: 'billing' }) }))).message).toMatch(/"aud"/);
    expect((await refusal(async () => strict.authenticate({ passcode: await hsToken({ audience: 'chat' }) }))).message).toMatch(/"iss"/);
  });

  it('refuses a missing or malformed subject', async () => {
    expect((await refusal(async () => auth.authenticate({ passcode: await hsTokenWithoutSub() }))).message).toMatch(/"sub"/);
    expect((await refusal(async () => auth.authenticate({ passcode: await hsToken({ sub: 'alice smith' }) }))).message).toMatch(/subject must be/);
    expect((await refusal(async () => auth.authenticate({ passcode: await hsToken({ sub: 'a:b' }) }))).message).toMatch(/subject must be/);
    await refusal(async () => auth.authenticate({ passcode: await hsToken({ sub: 'x'.repeat(129) }) }));
  });
});

/** hsToken defaults `sub`; this one has none. */
async function hsTokenWithoutSub(): Promise<string> {
  const { SignJWT } = await import('jose');
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET));
}
