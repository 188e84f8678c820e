/**
 * The loss / duplicate / order detectors must detect: the same small runs against a fake
 * broker that drops, duplicates or reorders deliveries on purpose (the raw fan-out server
 * with faults), and against a healthy one for contrast.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRawFanoutServer, type Faults, type RawServer } from '../bench/raw-fanout-server';
import { runLoad } from '../run/run-load';
import { testOptions } from './helpers';

let server: RawServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

// 2 rooms × 6 members, one sender, 3 messages: 36 deliveries in a fixed order per subscriber.
async function rooms(faults: Faults) {
  server = await startRawFanoutServer({ faults });
  return runLoad(testOptions(server.url, 'rooms', '--users', '12', '--messages', '3', '--read-timeout', '700ms'));
}

describe('loss, duplicate and order detection', () => {
  it('a healthy server shows nothing', async () => {
    const r = await rooms({});
    expect(r.errorTotal).toBe(0);
    expect(r.deliveries).toMatchObject({ expected: 36, unique: 36, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('counts dropped messages as lost and reports the members that waited in vain', async () => {
    const r = await rooms({ dropEvery: 7 }); // deliveries 7, 14, 21, 28, 35 vanish
    expect(r.deliveries).toMatchObject({ expected: 36, unique: 31, lost: 5, duplicated: 0 });
    expect(r.errors['read-timeout']).toBeGreaterThan(0);
  });

  it('counts duplicates without counting them as received twice', async () => {
    const r = await rooms({ duplicateEvery: 5 }); // 7 of 36 delivered twice
    expect(r.deliveries).toMatchObject({ expected: 36, unique: 36, received: 43, duplicated: 7, lost: 0 });
  });

  it('counts per-sender reordering', async () => {
    const r = await rooms({ reorderEvery: 4 });
    expect(r.deliveries.outOfOrder).toBeGreaterThan(0);
    expect(r.deliveries).toMatchObject({ unique: 36, lost: 0, duplicated: 0 });
  });

  it('a hard timeout aborts the run and says so', async () => {
    server = await startRawFanoutServer({ faults: { dropEvery: 1 } });
    const o = testOptions(server.url, 'rooms', '--users', '6', '--messages', '2', '--read-timeout', '30s');
    const r = await runLoad({ ...o, timeoutMs: 1_500 });
    expect(r.aborted).toBe(true);
    expect(r.errors['hard-timeout']).toBe(1);
    expect(r.deliveries.lost).toBe(12);
  });
});
