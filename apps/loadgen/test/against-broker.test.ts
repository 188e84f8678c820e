/**
 * The load generator end to end against our broker (in process via startBroker): every
 * scenario completes with exact expected counts and nothing lost, duplicated or reordered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../broker/broker';
import { runLoad } from '../run/run-load';
import { testOptions } from './helpers';

let broker: BrokerHandle;

beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await broker?.close();
});

describe('load generator against our broker', () => {
  it('rooms: 12 users, rooms of 6, one sender, 3 messages: every member gets every message', async () => {
    const r = await runLoad(testOptions(broker.url, 'rooms', '--users', '12', '--messages', '3', '--login', 'user{user}'));
    expect(r.errors).toEqual({});
    expect(r.connected).toBe(12);
    expect(r.subscribed).toBe(12);
    expect(r.sent).toBe(2 * 3);
    expect(r.deliveries).toMatchObject({ planned: 36, expected: 36, received: 36, unique: 36, lost: 0, duplicated: 0, outOfOrder: 0, foreign: 0 });
    expect(r.latencyMs.count).toBe(36);
    expect(r.connectMs.count).toBe(12);
    expect(r.aborted).toBe(false);
    // DISCONNECT receipts come back from our broker
    expect(r.warnings).toEqual({});
  });

  it('rooms with two senders per room, a window and SEND receipts', async () => {
    const r = await runLoad(testOptions(broker.url, 'rooms', '--users', '12', '--senders', '2', '--messages', '5', '--window', '2', '--send-receipts'));
    expect(r.errorTotal).toBe(0);
    expect(r.sent).toBe(2 * 2 * 5);
    expect(r.deliveries).toMatchObject({ expected: 120, unique: 120, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(r.sendReceiptMs.count).toBe(20);
  });

  it('throughput: sustained windowed sending, all in-flight drained', async () => {
    const r = await runLoad(testOptions(broker.url, 'throughput', '--users', '12', '--window', '5', '--duration', '600ms'));
    expect(r.errorTotal).toBe(0);
    expect(r.sent).toBeGreaterThanOrEqual(10); // two senders × a window of 5 at once, more as echoes return
    expect(r.deliveries.expected).toBe(r.sent * 6);
    expect(r.deliveries).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(r.deliveries.unique).toBe(r.deliveries.expected);
    expect(r.deliveries.perSec).toBeGreaterThan(0);
  });

  it('idle and churn complete with their counts', async () => {
    const idle = await runLoad(testOptions(broker.url, 'idle', '--users', '20', '--duration', '200ms', '--broker-pid', String(process.pid)));
    expect(idle.errorTotal).toBe(0);
    expect(idle.connected).toBe(20);
    expect(idle.memory.brokerKiBPerConnection).toBeTypeOf('number');
    const churn = await runLoad(testOptions(broker.url, 'churn', '--users', '6', '--cycles', '3'));
    expect(churn.errorTotal).toBe(0);
    expect(churn.cycles).toBe(18);
    expect(churn.cycleMs.count).toBe(18);
    // the broker sees the last closes a moment after the client does
    await expect.poll(() => broker.connections(), { timeout: 3_000 }).toBe(0);
    expect(broker.hub.destinations).toBe(0);
  });

  it('runs the same plan in a worker thread', async () => {
    const o = testOptions(broker.url, 'rooms', '--users', '12', '--messages', '2');
    const r = await runLoad({ ...o, workers: 2 });
    expect(r.workers).toBe(2);
    expect(r.errorTotal).toBe(0);
    expect(r.deliveries).toMatchObject({ expected: 24, unique: 24, lost: 0 });
  });
});
