import { describe, expect, it } from 'vitest';
import { MessageIdGenerator, messageIdTime } from './message-id';

describe('MessageIdGenerator', () => {
  it('ids are unique, sort by time, and carry no spaces or colons', () => {
    let now = 1_700_000_000_000;
    const g = new MessageIdGenerator('node1', () => now);
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 100 === 0) now += 1;
      ids.push(g.next());
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{9}-[0-9a-z]{4}-node1$/);
    expect(messageIdTime(ids[0])).toBe(1_700_000_000_001);
  });

  it('never goes backwards when the clock does', () => {
    let now = 2_000_000;
    const g = new MessageIdGenerator('n', () => now);
    const a = g.next();
    now -= 1000;
    const b = g.next();
    expect(b > a).toBe(true);
  });

  it('ids from two nodes interleave by time', () => {
    let now = 5_000;
    const a = new MessageIdGenerator('a', () => now);
    const b = new MessageIdGenerator('b', () => now);
    const x = a.next();
    now++;
    const y = b.next();
    now++;
    const z = a.next();
    expect([z, x, y].sort()).toEqual([x, y, z]);
  });

  it('rejects node ids that would break headers', () => {
    expect(() => new MessageIdGenerator('a:b')).toThrow();
    expect(() => new MessageIdGenerator('a b')).toThrow();
  });
});
