import { describe, expect, it } from 'vitest';
import { Publication } from './publication';
import type { OutboundMessage } from '../../shared/message';

const msg: OutboundMessage = {
  id: 'mhx00000a-0000-n1', destination: '/topic/room.1', roomId: '1', senderId: 'alice', nodeId: 'n1', sentAt: 0,
  contentType: 'text/plain; charset=utf-8', headers: { 'x-a': 'b c', 'x-ok': 'yes', 'x-colon': 'a:b' }, body: Buffer.from('hi'),
};

describe('Publication', () => {
  it('encodes once per variant and reuses the bytes', () => {
    const p = new Publication(msg);
    const full = p.template('1.2', false);
    expect(p.template('1.2', false)).toBe(full);
    const restricted = p.template('1.2', true);
    expect(restricted).not.toBe(full);
    expect(p.template('1.2', true)).toBe(restricted);
    expect(p.template('1.1', false)).not.toBe(full);
  });

  it('restricted variant keeps only Android-readable headers', () => {
    const text = new Publication(msg).template('1.2', true).deliver('subscription:s\n').toString();
    expect(text).toContain('content-type:text/plain;charset=utf-8\n');
    expect(text).toContain('x-ok:yes\n');
    expect(text).not.toContain('x-a:');
    expect(text).not.toContain('x-colon');
    const full = new Publication(msg).template('1.2', false).deliver('subscription:s\n').toString();
    expect(full).toContain('x-a:b c\n');
    expect(full).toContain('x-colon:a\\cb\n');
  });

  it('marks history replays', () => {
    const text = new Publication(msg, true).template('1.2', false).deliver('subscription:s\n').toString();
    expect(text).toContain('x-history:true\n');
  });
});
