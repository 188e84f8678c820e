/**
 * Dead letters are never drowned: the in-memory twin refuses a letter when full and keeps every
 * older one (as RabbitMQ's dead-letter queue does with `x-overflow: reject-publish`, checked in
 * amqp-topology.test.ts), and the consumer's HoldingDeadLetters holds a refused letter,
 * says so loudly and retries until there is room.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { MemoryDeadLetters } from './memory-queue';
import { HoldingDeadLetters } from './holding-dead-letters';
import { DeadLetterRefusedError, type DeadLetter, type DeadLetterSink } from './pack-source';
import { sleep } from '../sleep';

const letter = (i: number): DeadLetter => ({ reason: `bad ${i}`, stage: 'store', body: Buffer.from(`m${i}`), messageIds: [`m${i}`] });

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

/** A logger whose lines we can read. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('MemoryDeadLetters', () => {
  it('refuses a letter when full, keeps the oldest, and counts the refusal', async () => {
    const registry = new Registry();
    const dead = new MemoryDeadLetters(3, registry);
    for (let i = 0; i < 3; i++) await dead.put(letter(i));
    await expect(dead.put(letter(3))).rejects.toBeInstanceOf(DeadLetterRefusedError);
    await expect(dead.put(letter(4))).rejects.toThrow(/full \(3, EMBEDDED_DEAD_LETTERS_MAX\)/);
    expect(dead.list().map((l) => l.messageIds[0])).toEqual(['m0', 'm1', 'm2']);
    expect(await metric(registry, 'stompbox_dead_letters_refused_total', { sink: 'memory' })).toBe(2);
  });
});

describe('HoldingDeadLetters', () => {
  /** A sink that refuses while `full` is true. */
  function switchableSink() {
    const kept: DeadLetter[] = [];
    const sink = {
      kind: 'test',
      full: true,
      attempts: 0,
      kept,
      async put(l: DeadLetter) {
        sink.attempts++;
        if (sink.full) throw new DeadLetterRefusedError('test sink full');
        kept.push(l);
      },
      async close() {},
    } satisfies DeadLetterSink & Record<string, unknown>;
    return sink;
  }

  it('holds a refused letter, logs at error level, and records it once there is room', async () => {
    const registry = new Registry();
    const { logger, lines } = capturedLogger();
    const sink = switchableSink();
    const holding = new HoldingDeadLetters(sink, logger, registry, { baseMs: 10, maxMs: 20 });
    let done = false;
    const put = holding.put(letter(1)).then(() => (done = true));
    await sleep(100);
    expect(done).toBe(false);
    expect(sink.attempts).toBeGreaterThan(2);
    expect(holding.heldCount()).toBe(1);
    expect(await metric(registry, 'stompbox_dead_letters_held')).toBe(1);
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1); // loud, but not once per retry
    expect(errors[0].msg).toMatch(/DEAD-LETTER QUEUE FULL/);
    sink.full = false;
    await put;
    expect(sink.kept.map((l) => l.messageIds[0])).toEqual(['m1']);
    expect(holding.heldCount()).toBe(0);
    expect(await metric(registry, 'stompbox_dead_letters_held')).toBe(0);
  });

  it('gives up at the shutdown deadline: put rejects and nothing is recorded', async () => {
    const sink = switchableSink();
    const holding = new HoldingDeadLetters(sink, pino({ level: 'silent' }), new Registry(), { baseMs: 1_000, maxMs: 1_000 });
    const put = holding.put(letter(2));
    await sleep(20);
    const t0 = Date.now();
    holding.giveUpAt(Date.now());
    await expect(put).rejects.toThrow(/not recorded before shutdown/);
    expect(Date.now() - t0).toBeLessThan(500); // woken, not left to sleep out its backoff
    expect(sink.kept).toEqual([]);
    expect(holding.heldCount()).toBe(0);
  });

  it('passes other failures through untouched', async () => {
    const sink: DeadLetterSink = { kind: 'x', put: async () => { throw new Error('boom'); }, close: async () => {} };
    const holding = new HoldingDeadLetters(sink, pino({ level: 'silent' }), new Registry());
    await expect(holding.put(letter(3))).rejects.toThrow('boom');
  });
});
