import { describe, expect, it } from 'vitest';
import { connectionCapacity, openFilesLimit, RESERVED_FILES } from './open-files';

describe('connection capacity from the open-file limit', () => {
  it('keeps room for the process own files below the limit', () => {
    expect(connectionCapacity({ soft: 20_000, hard: 20_000 })).toBe(20_000 - RESERVED_FILES);
    // Node raises the soft limit to the hard one at start-up: the larger counts.
    expect(connectionCapacity({ soft: 1_024, hard: 65_536 })).toBe(65_536 - RESERVED_FILES);
    expect(connectionCapacity({ soft: 100, hard: 100 })).toBe(1);
  });

  it('is unknown when the limit is unlimited or unreadable', () => {
    expect(connectionCapacity({ soft: Infinity, hard: Infinity })).toBeNull();
    expect(connectionCapacity({ soft: NaN, hard: NaN })).toBeNull();
  });

  it('reads this process limit on Linux', () => {
    const l = openFilesLimit();
    expect(l.hard).toBeGreaterThan(0);
  });
});
