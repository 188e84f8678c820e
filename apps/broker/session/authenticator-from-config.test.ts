/** Configuration picks the authenticator; the JWT variables are validated at start-up. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import { hsToken, TEST_SECRET } from '../testing/tokens';
import { authenticatorFromConfig, describeAuth } from './authenticator-from-config';

describe('authenticator from configuration', () => {
  it('is development mode without JWT_SECRET or JWT_JWKS_URL', () => {
    const c = loadConfig({});
    expect(authenticatorFromConfig(c).mode).toBe('development');
    expect(describeAuth(c)).toEqual({ auth: 'development' });
    expect(authenticatorFromConfig(loadConfig({ JWT_SECRET: '' })).mode).toBe('development');
  });

  it('is JWT with a secret, and takes the checks from the variables', async () => {
    const c = loadConfig({ JWT_SECRET: TEST_SECRET, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'chat, web', JWT_CLOCK_SKEW_S: '5', JWT_EXPIRY_GRACE_S: '-1' });
    expect(c.JWT_AUDIENCE).toEqual(['chat', 'web']);
    const auth = authenticatorFromConfig(c);
    expect(auth.mode).toBe('jwt');
    const p = await auth.authenticate({ passcode: await hsToken({ issuer: 'https://id.example', audience: 'web' }) });
    expect(p).toEqual({ userId: 'alice' });
    await expect(auth.authenticate({ passcode: await hsToken({ issuer: 'https://id.example', audience: 'web', expiresIn: -10 }) })).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(JSON.stringify(describeAuth(c))).not.toContain(TEST_SECRET);
  });

  it('is JWT with a JWKS URL (nothing fetched until a CONNECT)', () => {
    expect(authenticatorFromConfig(loadConfig({ JWT_JWKS_URL: 'https://id.example/.well-known/jwks.json' })).mode).toBe('jwt');
  });

  it('defaults: 30 s clock skew, no grace', () => {
    const c = loadConfig({});
    expect(c.JWT_CLOCK_SKEW_S).toBe(30);
    expect(c.JWT_EXPIRY_GRACE_S).toBe(0);
  });

  it('refuses a short secret, both key sources at once, and a grace below -1', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET.*at least 32 bytes/);
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(31) })).not.toThrow(/xxxxxxxx/);
    expect(() => loadConfig({ JWT_SECRET: TEST_SECRET, JWT_JWKS_URL: 'https://id.example/jwks' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_SECRET: TEST_SECRET, JWT_JWKS_URL: 'https://id.example/jwks' })).toThrow(/mutually exclusive/);
    expect(() => loadConfig({ JWT_EXPIRY_GRACE_S: '-2' })).toThrow(/JWT_EXPIRY_GRACE_S/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'not a url' })).toThrow(/JWT_JWKS_URL/);
  });
});
