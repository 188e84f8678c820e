/**
 * The embedded default keeps its in-process hops bounded in bytes, not only in entries: with
 * the store down, large messages stop at the stream's byte bound (the bridge holds the rest in
 * the queue, which pushes back to the offload) long before its entry bound.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../shared/config';
import { MemoryRecentCache } from '../shared/history/memory-recent-cache';
import { OffloadFullError } from '../shared/queue/offload';
import { encodePack } from '../shared/queue/pack-codec';
import { sleep } from '../shared/sleep';
import { FakeStore } from '../shared/testing/fake-store';
import { messageFactory } from '../shared/testing/messages';
import { startPipeline, type Pipeline } from './pipeline';

const open: Pipeline[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

/** Publish 16 KiB messages (the store is down) until the offload refuses; how many it refused. */
async function floodUntilRefused(p: Pipeline, tag: string): Promise<number> {
  const make = messageFactory(tag);
  const body = Buffer.alloc(16 * 1024, 0x62);
  let refused = 0;
  for (let i = 0; i < 400 && refused === 0; i++) {
    for (let j = 0; j < 10; j++) {
      try {
        p.offload.publish({ ...make(), body }).catch(() => {});
      } catch (e) {
        expect(e).toBeInstanceOf(OffloadFullError);
        refused++;
      }
    }
    await sleep(5);
  }
  return refused;
}

describe('embedded hops bounded in bytes', () => {
  it('the in-process stream stops at its byte bound, far below its entry bound', async () => {
    const registry = new Registry();
    const store = new FakeStore();
    store.unavailable = true;
    const config = loadConfig({
      DRAIN_TIMEOUT_MS: '500',
      STREAM_MAX_ENTRIES: '10000',
      STREAM_MAX_BYTES: String(256 * 1024),
      OFFLOAD_PACK_MAX_MESSAGES: '4',
      CONSUMER_PREFETCH: '4',
      EMBEDDED_QUEUE_MAX: '50',
      OFFLOAD_MAX_PENDING: '400',
    });
    const p = await startPipeline({ config, logger: pino({ level: 'silent' }), registry, store });
    open.push(p);
    expect(await floodUntilRefused(p, 'bytes')).toBeGreaterThan(0);
    const entries = await p.consumer.backlog();
    // Each entry is a pack of up to 4 × 16 KiB: the byte bound (256 KiB, plus one batch of
    // CONSUMER_PREFETCH packs) holds about 4 + 4 entries, not 10,000.
    expect(entries).toBeLessThanOrEqual(8 + 4);
    const backpressure = (await registry.getSingleMetric('stompbox_consumer_backpressure')?.get())?.values[0]?.value;
    expect(backpressure).toBe(1);
    store.unavailable = false;
  });

  it('the in-process queue refuses more once it holds its byte bound, whatever its message bound', async () => {
    const registry = new Registry();
    const store = new FakeStore();
    store.unavailable = true;
    const config = loadConfig({
      DRAIN_TIMEOUT_MS: '500',
      STREAM_MAX_ENTRIES: '1',
      EMBEDDED_QUEUE_MAX: '1000000',
      EMBEDDED_QUEUE_MAX_BYTES: String(512 * 1024),
      OFFLOAD_PACK_MAX_MESSAGES: '4',
      CONSUMER_PREFETCH: '1',
      OFFLOAD_MAX_PENDING: '1000',
    });
    const p = await startPipeline({ config, logger: pino({ level: 'silent' }), registry, store });
    open.push(p);
    expect(await floodUntilRefused(p, 'qbytes')).toBeGreaterThan(0);
    const bytes = (await registry.getSingleMetric('stompbox_memory_queue_bytes')?.get())?.values[0]?.value ?? NaN;
    // At most one pack (4 × 16 KiB and headers) past the bound.
    expect(bytes).toBeLessThanOrEqual(512 * 1024 + 80 * 1024);
    store.unavailable = false;
  });

  it('the in-process recent cache drops least recently written rooms past its byte bound', async () => {
    const cache = new MemoryRecentCache(50, 100_000, 256 * 1024);
    const make = messageFactory('cache');
    for (let room = 0; room < 100; room++) {
      await cache.add([encodePack(Array.from({ length: 4 }, () => ({ ...make(), roomId: `r${room}`, body: Buffer.alloc(4 * 1024) })))]);
    }
    expect(cache.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(await cache.recent('r99', 10)).toHaveLength(4);
    expect(await cache.recent('r0', 10)).toHaveLength(0);
  });
});
