import { describe, expect, it } from 'vitest';
import { normaliseOrigin, parseAllowedOrigins } from '../shared/http/origins';
import { refusalFor } from './request-origin';

const open = { allowedOrigins: new Set<string>(), loopbackHostOnly: false };
const dev = { allowedOrigins: new Set<string>(), loopbackHostOnly: true };

describe('request origin rules', () => {
  it('allows no Origin (native and load-test clients) and the same origin', () => {
    expect(refusalFor({ host: 'chat.example' }, open)).toBeNull();
    expect(refusalFor({ host: 'chat.example:8080', origin: 'http://chat.example:8080' }, open)).toBeNull();
    expect(refusalFor({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, dev)).toBeNull();
  });

  it('refuses another site unless it is listed', () => {
    expect(refusalFor({ host: 'localhost:8080', origin: 'https://evil.example' }, dev)?.code).toBe('origin-not-allowed');
    expect(refusalFor({ host: 'localhost:8080', origin: 'null' }, dev)?.code).toBe('origin-not-allowed');
    const listed = { allowedOrigins: parseAllowedOrigins('https://app.example, http://localhost:5173'), loopbackHostOnly: true };
    expect(refusalFor({ host: 'localhost:8080', origin: 'https://APP.example' }, listed)).toBeNull();
    expect(refusalFor({ host: 'localhost:8080', origin: 'http://localhost:5173' }, listed)).toBeNull();
  });

  it('in loopback-only mode refuses a Host that does not name this machine (DNS rebinding)', () => {
    expect(refusalFor({ host: 'rebound.example:8080' }, dev)?.code).toBe('host-not-allowed');
    expect(refusalFor({ host: 'rebound.example:8080', origin: 'http://rebound.example:8080' }, dev)?.code).toBe('host-not-allowed');
    expect(refusalFor({}, dev)?.code).toBe('host-not-allowed');
    for (const host of ['localhost', 'localhost:1', '127.0.0.1:8080', '[::1]:8080']) expect(refusalFor({ host }, dev)).toBeNull();
    expect(refusalFor({ host: 'rebound.example:8080' }, open)).toBeNull();
  });

  it('normalises origins and rejects what is not one', () => {
    expect(normaliseOrigin('HTTPS://App.Example:443')).toBe('https://app.example');
    expect(normaliseOrigin('file:///etc')).toBeNull();
    expect(() => parseAllowedOrigins('ftp://x')).toThrow(/ALLOWED_ORIGINS/);
  });
});
