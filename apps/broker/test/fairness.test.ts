/**
 * One client's flood does not stall the others: a single WebSocket message carrying 100,000
 * receipted SENDs is handled in slices, and a bystander's round trips stay short meanwhile.
 * The bound is relative to the flood's own duration measured in the same run (this machine's
 * timings are noisy); the figures are printed for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect } from '../testing/raw-client';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', SEND_BUFFER_MAX_BYTES: String(16 * 1024 * 1024), ...(process.env.FAIRNESS_FRAMES_PER_TURN ? { INPUT_FRAMES_PER_TURN: process.env.FAIRNESS_FRAMES_PER_TURN } : {}) } });
});
afterAll(async () => {
  await broker.close();
});

const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'h' });
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

describe('fairness', () => {
  it('a bystander keeps being served while one message of 100,000 receipted SENDs is handled', async () => {
    const bystander = await rawConnect(broker.url, ['v12.stomp']);
    bystander.send(CONNECT);
    bystander.send(frame('SUBSCRIBE', { id: 'b', destination: '/topic/bystander', receipt: 'ready' }));
    await bystander.waitFor((f) => f.command === 'RECEIPT');
    const flooder = await rawConnect(broker.url, ['v12.stomp']);
    flooder.send(CONNECT);
    await flooder.waitFor((f) => f.command === 'CONNECTED');

    const n = 100_000;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`SEND\ndestination:/topic/flood\nreceipt:${i}\n\nx\0`);
    const message = parts.join('');

    // The bystander sends to itself every 2 ms and times each round trip.
    const rtts: number[] = [];
    const sentAt = new Map<string, number>();
    let seq = 0;
    let running = true;
    const seen = bystander.frames.length;
    const onMessage = () => {
      for (const f of bystander.frames.slice(seen)) {
        const t = sentAt.get(f.body.toString());
        if (f.command === 'MESSAGE' && t !== undefined) {
          rtts.push(performance.now() - t);
          sentAt.delete(f.body.toString());
        }
      }
    };
    bystander.ws.on('message', onMessage);
    const pinger = (async () => {
      while (running) {
        const tag = `p${seq++}`;
        sentAt.set(tag, performance.now());
        bystander.send(frame('SEND', { destination: '/topic/bystander' }, tag));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();

    // Counted as they come: scanning the flooder's 100,000 frames per message would cost more
    // than the broker's work.
    let lastReceipt = -1;
    let ordered = true;
    const allReceipts = new Promise<void>((resolve) => {
      flooder.ws.on('message', (data: Buffer) => {
        const m = /^RECEIPT\nreceipt-id:(\d+)\n/.exec(data.toString('latin1', 0, 40));
        if (!m) return;
        const id = Number(m[1]);
        if (id !== lastReceipt + 1) ordered = false;
        lastReceipt = id;
        if (id === n - 1) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    const start = performance.now();
    flooder.send(message);
    await Promise.race([allReceipts, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${lastReceipt + 1} receipts`)), 120_000))]);
    const floodMs = performance.now() - start;
    running = false;
    await pinger;
    await new Promise((r) => setTimeout(r, 50));
    bystander.ws.off('message', onMessage);

    expect(lastReceipt).toBe(n - 1);
    expect(ordered).toBe(true);
    const p50 = percentile(rtts, 50);
    const p99 = percentile(rtts, 99);
    console.log(`flood of ${n} receipted SENDs: ${floodMs.toFixed(0)} ms; bystander round trips: ${rtts.length}, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...rtts).toFixed(1)} ms`);
    // Unsliced, the bystander waited for the whole flood (its p99 was the flood's duration).
    expect(rtts.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(Math.max(50, floodMs / 10));
    bystander.close();
    flooder.close();
  }, 180_000);
});
