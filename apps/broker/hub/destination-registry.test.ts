import { describe, expect, it } from 'vitest';
import { DestinationRegistry } from './destination-registry';

describe('DestinationRegistry', () => {
  it('matches destinations exactly, with no pattern characters', () => {
    const r = new DestinationRegistry<string>();
    r.add('/topic/a.*', 's1');
    r.add('/topic/a.#', 's2');
    r.add('/topic/**', 's3');
    expect([...(r.get('/topic/a.*') ?? [])]).toEqual(['s1']);
    expect(r.get('/topic/a.b')).toBeUndefined();
    expect(r.get('/topic/a.x')).toBeUndefined();
    expect([...(r.get('/topic/**') ?? [])]).toEqual(['s3']);
  });

  it('leaves no residue after the last remove', () => {
    const r = new DestinationRegistry<number>();
    for (let i = 0; i < 100; i++) r.add(`/d/${i % 10}`, i);
    expect(r.destinations).toBe(10);
    expect(r.subscriptions).toBe(100);
    for (let i = 0; i < 100; i++) expect(r.remove(`/d/${i % 10}`, i)).toBe(true);
    expect(r.destinations).toBe(0);
    expect(r.subscriptions).toBe(0);
    expect(r.remove('/d/1', 1)).toBe(false);
    expect(r.get('/d/1')).toBeUndefined();
  });

  it('ignores a duplicate add of the same subscription', () => {
    const r = new DestinationRegistry<string>();
    r.add('/a', 'x');
    r.add('/a', 'x');
    expect(r.subscriptions).toBe(1);
  });
});
