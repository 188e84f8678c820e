import { describe, expect, it } from 'vitest';
import { parseLoadArgs, type LoadOptions } from '../cli/options';
import { mergeSliceResults, type SliceResult } from './counters';
import { Histogram } from './histogram';
import { buildReport, renderReport, runPassed } from './report';

const opts = (): LoadOptions => {
  const r = parseLoadArgs(['rooms', '--users', '12', '--run-id', 't1']);
  if (r.help) throw new Error();
  return r.options;
};

function slice(over: Partial<SliceResult>): SliceResult {
  const lat = new Histogram();
  for (let i = 1; i <= 18; i++) lat.record(i * 1000); // 1..18 ms in µs
  return {
    users: 6, connected: 6, subscribed: 6, sent: 3, sendReceipts: 0, planned: 18, expected: 18, received: 18, unique: 18,
    duplicated: 0, outOfOrder: 0, foreign: 0, receivedAtStop: 18, cycles: 0, firstSendAt: 1000, lastReceiveAt: 1100,
    connectMs: new Histogram().toJSON(), subscribeMs: new Histogram().toJSON(), latencyUs: lat.toJSON(),
    receiptUs: new Histogram().toJSON(), cycleMs: new Histogram().toJSON(), errors: {}, warnings: {}, ...over,
  };
}

const measured = { setupMs: 100, runMs: 200, rateWindowMs: 100, loadgenCpuMs: 50, brokerCpuMs: 36, loadgenRssKiB: 1024, aborted: false };

describe('report', () => {
  it('adds slices up and derives lost, rate, latency in ms and broker CPU per delivery', () => {
    const merged = mergeSliceResults([slice({}), slice({ unique: 15, received: 16, duplicated: 1, errors: { 'read-timeout': 2 } })]);
    const r = buildReport(opts(), 2, merged, measured);
    expect(r.deliveries).toMatchObject({ planned: 36, expected: 36, unique: 33, lost: 3, duplicated: 1, received: 34 });
    expect(r.deliveries.perSec).toBe(340); // 34 frames over 100 ms
    expect(Math.abs(r.latencyMs.p50 - 9)).toBeLessThan(0.09); // histogram precision < 1 %
    expect(r.latencyMs.max).toBe(18);
    expect(r.cpu.brokerUsPerDelivery).toBeCloseTo((36 * 1000) / 34);
    expect(r.errorTotal).toBe(2);
    expect(runPassed(r)).toBe(false);
    const text = renderReport(r);
    expect(text).toMatch(/lost\s+3/);
    expect(text).toMatch(/read-timeout=2/);
    expect(text).toMatch(/p99 18\.0/);
  });

  it('passes a clean run', () => {
    const r = buildReport(opts(), 1, mergeSliceResults([slice({})]), measured);
    expect(runPassed(r)).toBe(true);
    expect(runPassed({ ...r, aborted: true })).toBe(false);
  });
});
