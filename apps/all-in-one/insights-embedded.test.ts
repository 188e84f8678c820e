/**
 * Trending words end to end in the embedded default: messages sent over STOMP are stored,
 * counted by the consumer, answered by the trending routes on the broker's port, and published
 * live to the room's `.trending` destination.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../shared/config';
import { frame, rawConnect } from '../broker/testing/raw-client';
import { startAllInOne } from './all-in-one';

const dataDir = mkdtempSync(join(tmpdir(), 'stompbox-insights-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('trending words through the embedded pipeline', () => {
  it('shows the words of sent messages on the trending routes and live on the room’s .trending topic', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', INSIGHTS_LIVE_INTERVAL_S: '1' });
    const broker = await startAllInOne(config, pino({ level: 'silent' }));
    try {
      const c = await rawConnect(broker.url, ['v12.stomp']);
      c.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h', login: 'alice' }));
      await c.waitFor((f) => f.command === 'CONNECTED', 10_000);
      c.send(frame('SUBSCRIBE', { id: 'live', destination: '/topic/room.lobby.trending', receipt: 'sub' }));
      await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'sub', 10_000);
      const texts = ['서울에서 커피를 마셨어요', '커피 맛집 서울', 'the coffee in Seoul', '배포 끝! 커피 타임'];
      for (const [i, text] of texts.entries()) {
        c.send(frame('SEND', { destination: '/topic/room.lobby', 'content-type': 'application/json', receipt: `r${i}` }, JSON.stringify({ text })));
      }
      c.send(frame('SEND', { destination: '/topic/room.other', receipt: 'last' }, '커피 again'));
      await c.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'last', 20_000);

      type Answer = { roomId: string | null; words: Array<{ word: string; count: number }> };
      let room: Answer = { roomId: null, words: [] };
      await expect
        .poll(async () => {
          room = (await (await fetch(`${broker.httpUrl}/api/rooms/lobby/trending?window=5m&limit=3`)).json()) as Answer;
          return room.words.slice(0, 2);
        }, { timeout: 20_000, interval: 100 })
        .toEqual([{ word: '커피', count: 3 }, { word: '서울', count: 2 }]);
      expect(room.roomId).toBe('lobby');
      expect(room.words).toHaveLength(3);
      await expect
        .poll(async () => ((await (await fetch(`${broker.httpUrl}/api/trending?window=1h`)).json()) as Answer).words[0], { timeout: 20_000, interval: 100 })
        .toEqual({ word: '커피', count: 4 });

      const live = await c.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === '/topic/room.lobby.trending', 20_000);
      expect(JSON.parse(live.body.toString())).toMatchObject({ roomId: 'lobby', windowMinutes: 5, words: expect.arrayContaining([{ word: '커피', count: 3 }]) });
      c.close();
    } finally {
      await broker.close();
    }
  }, 120_000);
});
