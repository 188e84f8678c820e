/**
 * The writer against a real PostgreSQL, once per insert path: a batch of packs holding
 * duplicates (inside a pack, across packs, and a whole pack redelivered) and one poison row
 * stores every good row exactly once and dead-letters the poison row alone, with the
 * database's reason and its own bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startPostgres, type ServiceHandle } from '../shared/testing/services';
import { openPostgresStore } from '../shared/store/postgres-store';
import { INSERT_PATHS, type InsertPath } from '../shared/store/row-inserter';
import type { CopyOptions } from '../shared/store/insert-backends';
import { makeMessages, freshRoom } from '../shared/store/message-store.contract';
import { decodePack, encodePack } from '../shared/queue/pack-codec';
import { MemoryDeadLetters } from '../shared/queue/memory-queue';
import { waitFor } from '../shared/testing/messages';
import { consumerMetrics } from './consumer-metrics';
import { MemoryPackStream } from './stream/memory-pack-stream';
import { StreamWriter } from './writer';

const logger = pino({ level: 'silent' });
let pg: ServiceHandle;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

/** Every insert path with its defaults, and the copy path's other ways to COPY. */
const VARIANTS: Array<[string, InsertPath, CopyOptions | undefined]> = [
  ...INSERT_PATHS.map((p): [string, InsertPath, undefined] => [p, p, undefined]),
  ['copy, text data', 'copy', { format: 'text', direct: true }],
  ['copy, always staged', 'copy', { format: 'binary', direct: false }],
];

describe.each(VARIANTS)('writer, insert path %s', (_name, path, copy) => {
  it('stores each good row of a batch with duplicates once and dead-letters the poison row with its reason', async () => {
    const store = await openPostgresStore({ url: pg.url, insertPath: path, copy, insertChunkRows: 4 });
    try {
      const room = freshRoom('w');
      const msgs = makeMessages(room, 9);
      const poison = { ...msgs[4], senderId: 'nul\u0000sender' }; // text refuses NUL
      const packs = [
        encodePack([msgs[0], msgs[1], msgs[0], msgs[2]]), // a repeat inside one pack
        encodePack([msgs[2], msgs[3], poison, msgs[5]]), // a repeat across packs, and the poison row
        encodePack([msgs[6], msgs[7], msgs[8]]),
      ];
      const stream = new MemoryPackStream();
      await stream.append([...packs, encodePack([msgs[0], msgs[1], msgs[0], msgs[2]])]); // a redelivered pack
      const registry = new Registry();
      const dead = new MemoryDeadLetters(100, registry);
      const writer = new StreamWriter('w0', stream, store, dead, { batchPacks: 20, blockMs: 50, claimIdleMs: 60_000, claimEveryMs: 60_000 }, logger, consumerMetrics(registry));
      writer.start();
      await waitFor(async () => (await stream.length()) === 0, 20_000, 'the stream written');
      await writer.stop(Date.now() + 5_000);

      const stored = await store.lastMessages(room, 100);
      expect(stored.map((m) => m.id)).toEqual(msgs.filter((m) => m.id !== poison.id).map((m) => m.id));
      expect(await store.countMessages(room)).toBe(8);
      expect(dead.list()).toHaveLength(1);
      const letter = dead.list()[0];
      expect(letter.stage).toBe('store');
      expect(letter.messageIds).toEqual([poison.id]);
      expect(letter.reason).toMatch(/0x00|byte sequence/i);
      expect(letter.reason).toMatch(/SQLSTATE 22/);
      const [back] = decodePack(letter.body);
      expect(back.senderId).toBe(poison.senderId);
      expect(back.body.equals(poison.body)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
