/**
 * The demo page in a real browser: headless Chromium from Debian's package, driven by
 * playwright-core (no browser download), against our broker started in-process with the
 * demo routes. Two browser contexts join one room and chat both ways; a reload
 * shows the history; after a broker restart both reconnect, and the one that was still away
 * when a message was sent recovers it from history, once. Screenshots are saved to
 * $TEST_ARTIFACTS_DIR/stompbox-demo (default: the OS temp dir).
 *
 * Skips when /usr/bin/chromium is absent (`apt-get install -y chromium`), except under CI
 * (`CI` set), where a missing browser is a failure: a skipped browser test would pass silently.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../broker/broker';
import type { HistoryQuery, HistorySource } from '../shared/history/history';
import { MemoryOffload } from '../shared/queue/memory-offload';
import type { OutboundMessage } from '../shared/message';
import { buildDemo } from './build';
import { demoRoutes } from './routes';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const haveChromium = existsSync(CHROMIUM);
const mustRun = Boolean(process.env.CI);
if (!haveChromium && !mustRun) console.warn(`demo browser test skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);

describe.runIf(mustRun)('browser available under CI', () => {
  it(`finds ${CHROMIUM}`, () => {
    expect(haveChromium, `${CHROMIUM} is missing: install it with apt-get install -y chromium`).toBe(true);
  });
});

export const SCREENSHOT_DIR = join(process.env.TEST_ARTIFACTS_DIR ?? tmpdir(), 'stompbox-demo');

/**
 * Stands in for the persistence pipeline across a broker restart: what the offload accepts
 * is kept here and answers history queries, as Redis/Postgres would.
 */
class KeptMessages implements HistorySource {
  readonly all: OutboundMessage[] = [];
  offload(): MemoryOffload {
    return new MemoryOffload(10_000, (batch) => this.all.push(...batch));
  }
  async query(q: HistoryQuery): Promise<OutboundMessage[]> {
    const room = this.all.filter((m) => m.roomId === q.roomId).sort((a, b) => (a.id < b.id ? -1 : 1));
    return q.kind === 'last' ? room.slice(-q.limit) : room.filter((m) => m.id > q.afterId).slice(0, q.limit);
  }
}

describe.skipIf(!haveChromium)('demo page in headless Chromium', () => {
  const room = `it-${Date.now().toString(36)}`;
  const kept = new KeptMessages();
  let dist: string;
  let broker: BrokerHandle;
  let browser: Browser;
  let ann: Page;
  let bob: Page;

  const start = (port: string) =>
    startBroker({
      env: { PORT: port, HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      offload: kept.offload(),
      history: kept,
      routes: { public: [demoRoutes(dist)] },
    });

  const lines = (page: Page) => page.locator('li[data-testid="message"]');
  const line = (page: Page, text: string) => lines(page).filter({ hasText: text });
  const status = (page: Page) => page.locator('[data-testid="status"]');

  async function joinRoom(page: Page, name: string, reconnectDelay: number): Promise<void> {
    await page.goto(`${broker.httpUrl}/?reconnectDelay=${reconnectDelay}`);
    await page.fill('#name', name);
    await page.fill('#room', room);
    await page.click('#join button[type="submit"]');
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe('online');
    expect(await page.locator('#join').isVisible()).toBe(false);
    expect(await page.locator('[data-testid="room-title"]').textContent()).toContain(room);
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('[data-testid="text"]', text);
    await page.click('[data-testid="send"]');
  }

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'stompbox-demo-dist-'));
    await buildDemo(dist);
    broker = await start('0');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    // Two contexts: two separate people (no shared storage).
    ann = await (await browser.newContext()).newPage();
    bob = await (await browser.newContext()).newPage();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('two people join one room and chat both ways', async () => {
    // Ann reconnects slowly on purpose: the restart test below needs her away for a while.
    await joinRoom(ann, 'ann', 8000);
    await joinRoom(bob, 'bob', 300);
    await say(ann, 'hello from ann');
    await line(bob, 'hello from ann').waitFor({ timeout: 5000 });
    await say(bob, 'hi ann, bob here');
    await line(ann, 'hi ann, bob here').waitFor({ timeout: 5000 });
    for (const page of [ann, bob]) {
      expect(await lines(page).allTextContents()).toEqual(['annhello from ann', 'bobhi ann, bob here']);
    }
    // The broker, not the page, names the sender (x-sender = CONNECT login in development mode).
    expect(await line(bob, 'hello from ann').locator('.sender').textContent()).toBe('ann');
    expect(await line(ann, 'hello from ann').getAttribute('class')).toContain('mine');
  }, 60_000);

  it('a reload shows the room history, marked as history', async () => {
    await bob.reload(); // the address keeps ?name=bob&room=…, so the page rejoins
    await expect.poll(() => status(bob).textContent(), { timeout: 10_000 }).toBe('online');
    await expect.poll(() => lines(bob).count(), { timeout: 5000 }).toBe(2);
    expect(await lines(bob).locator('.text').allTextContents()).toEqual(['hello from ann', 'hi ann, bob here']);
    expect(await bob.locator('li.history').count()).toBe(2);
    await say(ann, 'still here');
    await line(bob, 'still here').waitFor({ timeout: 5000 });
    expect((await line(bob, 'still here').getAttribute('class')) ?? '').not.toContain('history');
    await bob.screenshot({ path: join(SCREENSHOT_DIR, 'bob-after-reload.png') });
  }, 60_000);

  it('after a broker restart both reconnect and a message sent while ann was away reaches her once', async () => {
    const port = String(broker.port);
    await broker.close();
    await expect.poll(() => status(ann).textContent(), { timeout: 5000 }).toBe('reconnecting');
    await expect.poll(() => status(bob).textContent(), { timeout: 5000 }).toBe('reconnecting');
    broker = await start(port);
    await expect.poll(() => status(bob).textContent(), { timeout: 10_000 }).toBe('online');
    // Ann (8 s reconnect delay) is still away: this message can only reach her as history.
    expect(await status(ann).textContent()).toBe('reconnecting');
    await say(bob, 'sent while ann was away');
    await line(bob, 'sent while ann was away').waitFor({ timeout: 5000 });
    await expect.poll(() => status(ann).textContent(), { timeout: 20_000 }).toBe('online');
    await line(ann, 'sent while ann was away').waitFor({ timeout: 5000 });
    expect(await line(ann, 'sent while ann was away').count()).toBe(1);
    expect(await line(ann, 'sent while ann was away').getAttribute('class')).toContain('history');
    expect(await lines(ann).locator('.text').allTextContents()).toEqual(['hello from ann', 'hi ann, bob here', 'still here', 'sent while ann was away']);
    // Live again both ways after recovery.
    await say(ann, 'back again');
    await line(bob, 'back again').waitFor({ timeout: 5000 });
    await ann.screenshot({ path: join(SCREENSHOT_DIR, 'chat.png') });
  }, 60_000);
});
