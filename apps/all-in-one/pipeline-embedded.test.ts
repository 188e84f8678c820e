/**
 * The embedded default end to end: no AMQP_URL / REDIS_URL / DATABASE_URL, so startPipeline
 * wires the in-process queue and stream twins to the PGlite store (files under DATA_DIR, in a
 * worker thread). Same checks as on the real services, plus: a restart on the same DATA_DIR
 * keeps the history.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../shared/config';
import { startPipeline } from './pipeline';
import { messageFactory, waitFor } from '../shared/testing/messages';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
/** Fault tests restart services: well past vitest's 30 s default on a busy machine. */
const TEST_TIMEOUT_MS = 180_000;
const logger = pino({ level: 'silent' });
const config = () => loadConfig({ DATA_DIR: dataDir, DRAIN_TIMEOUT_MS: '10000', RECENT_CACHE_SIZE: '20' });

describe('embedded pipeline (in-process queue and stream, PGlite on disk)', () => {
  const make = messageFactory('emb', 20);
  const sent: string[] = [];

  it('stores 10,000 messages exactly once each and dead-letters a row the database refuses', async () => {
    const p = await startPipeline({ config: config(), logger, registry: new Registry() });
    try {
      expect(p.offload.kind).toBe('memory');
      expect(p.store.kind).toBe('pglite');
      const msgs = Array.from({ length: 10_000 }, () => make());
      sent.push(...msgs.map((m) => m.id));
      await Promise.all(msgs.map((m) => p.offload.publish(m)));
      const bad = make({ headers: { note: 'nul\u0000inside' } });
      await p.offload.publish(bad);
      await waitFor(async () => (await p.store.countMessages()) >= 10_000, 60_000, '10,000 rows', 100);
      await waitFor(() => (p.deadLetters?.list().length ?? 0) === 1, 10_000, 'the dead letter', 50);
      expect(await p.store.countMessages()).toBe(10_000);
      expect(p.deadLetters!.list()[0]).toMatchObject({ stage: 'store', messageIds: [bad.id] });
      const r3 = msgs.filter((m) => m.roomId === 'r3');
      const last = await p.history.query({ kind: 'last', roomId: 'r3', limit: 50 });
      expect(last.map((m) => m.id)).toEqual(r3.slice(-50).map((m) => m.id));
    } finally {
      await p.close();
    }
  }, TEST_TIMEOUT_MS);

  it('keeps the history across a restart on the same data directory', async () => {
    const p = await startPipeline({ config: config(), logger, registry: new Registry() });
    try {
      expect(await p.store.countMessages()).toBe(10_000);
      // Fresh process memory: the recent cache is empty, so this comes from PGlite.
      const last = await p.history.query({ kind: 'last', roomId: 'r5', limit: 5 });
      const r5 = sent.filter((_, i) => i % 20 === 5);
      expect(last.map((m) => m.id)).toEqual(r5.slice(-5));
      const after = await p.history.query({ kind: 'after', roomId: 'r5', afterId: r5[r5.length - 3], limit: 10 });
      expect(after.map((m) => m.id)).toEqual(r5.slice(-2));
    } finally {
      await p.close();
    }
  }, TEST_TIMEOUT_MS);
});
