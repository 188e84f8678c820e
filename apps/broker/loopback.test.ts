import { describe, expect, it } from 'vitest';
import { isLoopback } from './loopback';

describe('isLoopback', () => {
  it('takes the whole IPv4 loopback block, ::1 and their IPv4-mapped forms', () => {
    for (const a of ['127.0.0.1', '127.0.0.2', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::ffff:127.0.0.9']) expect(isLoopback(a), a).toBe(true);
  });

  it('refuses every other address, and none', () => {
    for (const a of [undefined, '', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', '127.0.0.1.evil', 'x127.0.0.1', 'fe80::1']) expect(isLoopback(a), String(a)).toBe(false);
  });
});
