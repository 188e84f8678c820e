/**
 * RS256 / ES256 tokens checked against a JWKS served by a local HTTP server: keys are fetched
 * once for many CONNECTs, and an unknown `kid` (a key rotation) costs one refetch, not one per
 * CONNECT.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StompProtocolError } from '../../shared/stomp/errors';
import { hsToken, signedToken } from '../testing/tokens';
import { remoteKeySet } from './jwks';
import { jwtAuthenticator } from './jwt-authenticator';

interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: 'ES256' | 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

let server: Server;
let url: string;
let served: TestKey[] = [];
let fetches = 0;
let keyA: TestKey, keyB: TestKey, keyR: TestKey;

beforeAll(async () => {
  [keyA, keyB, keyR] = await Promise.all([makeKey('a', 'ES256'), makeKey('b', 'ES256'), makeKey('r', 'RS256')]);
  server = createServer((req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const options = { clockSkewS: 30, expiryGraceS: 0 };

describe('JWKS (RS256 / ES256)', () => {
  it('verifies ES256 and RS256 tokens; N CONNECTs cost one fetch', async () => {
    served = [keyA, keyR];
    fetches = 0;
    const auth = jwtAuthenticator({ key: remoteKeySet(url), ...options });
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signedToken(keyA.privateKey, 'ES256', 'a', { sub: `user${i}` })));
    // Concurrent CONNECTs share jose's one pending fetch.
    const principals = await Promise.all(tokens.map((t) => auth.authenticate({ passcode: t })));
    expect(principals.map((p) => p.userId)).toEqual(tokens.map((_, i) => `user${i}`));
    // Later ones are answered from the cache.
    for (const t of tokens.slice(0, 5)) await auth.authenticate({ passcode: t });
    expect((await auth.authenticate({ passcode: await signedToken(keyR.privateKey, 'RS256', 'r', { sub: 'rsa-user' }) })).userId).toBe('rsa-user');
    expect(fetches).toBe(1);
  });

  it('refuses HS256 and a token signed by a key that is not in the set', async () => {
    served = [keyA];
    const auth = jwtAuthenticator({ key: remoteKeySet(url), ...options });
    const forged = await signedToken(keyB.privateKey, 'ES256', 'a'); // claims kid "a", signed with b
    await expect(auth.authenticate({ passcode: forged })).rejects.toMatchObject({ code: 'unauthenticated', message: expect.stringMatching(/signature/) });
    await expect(auth.authenticate({ passcode: await hsToken() })).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('a rotation: an unknown kid triggers one refetch; more unknown kids within the cooldown none', async () => {
    served = [keyA];
    fetches = 0;
    const auth = jwtAuthenticator({ key: remoteKeySet(url, { cooldownMs: 200 }), ...options });
    expect((await auth.authenticate({ passcode: await signedToken(keyA.privateKey, 'ES256', 'a') })).userId).toBe('alice');
    expect(fetches).toBe(1);

    // The issuer rotates to b after the cooldown since the last fetch has passed.
    served = [keyA, keyB];
    await new Promise((r) => setTimeout(r, 250));
    const tokenB = await signedToken(keyB.privateKey, 'ES256', 'b', { sub: 'bob' });
    const results = await Promise.all(Array.from({ length: 10 }, () => auth.authenticate({ passcode: tokenB })));
    expect(results.every((p) => p.userId === 'bob')).toBe(true);
    expect(fetches).toBe(2);

    // A kid nobody publishes: within the cooldown jose does not fetch again, it refuses.
    const tokenC = await signedToken(keyB.privateKey, 'ES256', 'c');
    for (let i = 0; i < 10; i++) {
      const e = await Promise.resolve(auth.authenticate({ passcode: tokenC })).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(StompProtocolError);
      expect((e as StompProtocolError).message).toMatch(/no applicable key/i);
    }
    expect(fetches).toBe(2);
  });

  it('an unreachable key set refuses with a reason, not an internal error', async () => {
    const auth = jwtAuthenticator({ key: remoteKeySet('http://127.0.0.1:1/jwks.json', { timeoutMs: 1000 }), ...options });
    await expect(auth.authenticate({ passcode: await signedToken(keyA.privateKey, 'ES256', 'a') })).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
