/**
 * The process-wide buffer budget over real sockets: a reader that stops reading while a
 * sender floods makes the broker pause its reads once all connections together buffer more
 * than BUFFER_BUDGET_BYTES; when that does not drain, the stuck reader is closed and reading
 * resumes for everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../shared/sleep';
import { startBroker, type BrokerHandle } from '../broker';
import { frame, rawConnect } from '../testing/raw-client';

let broker: BrokerHandle;
beforeAll(async () => {
  broker = await startBroker({ env: { PORT: '0', LOG_LEVEL: 'silent', BUFFER_BUDGET_BYTES: String(512 * 1024), BUFFER_BUDGET_STALL_MS: '500' } });
});
afterAll(async () => {
  await broker.close();
});

describe('process-wide buffer budget', () => {
  it('pauses reading over the budget, then closes the reader that never drains', async () => {
    const stuck = await rawConnect(broker.url, ['v12.stomp']);
    stuck.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
    stuck.send(frame('SUBSCRIBE', { id: 's', destination: '/topic/budget', receipt: 'r' }));
    await stuck.waitFor((f) => f.command === 'RECEIPT');
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sender = await rawConnect(broker.url, ['v12.stomp']);
    sender.send(frame('CONNECT', { 'accept-version': '1.2', host: 'h' }));
    await sender.waitFor((f) => f.command === 'CONNECTED');
    const burst = frame('SEND', { destination: '/topic/budget' }, 'b'.repeat(32 * 1024)).repeat(8);
    const pausesBefore = Number(/^stompbox_input_pauses_total (\d+)/m.exec(await (await fetch(`${broker.httpUrl}/metrics`)).text())?.[1] ?? 0);
    for (let i = 0; i < 400 && !stuck.isClosed() && broker.hub.subscriptions > 0; i++) {
      if (sender.ws.bufferedAmount < 1024 * 1024) sender.send(burst);
      await sleep(10);
    }
    await expect.poll(() => broker.hub.subscriptions, { timeout: 10_000 }).toBe(0);
    const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(Number(/^stompbox_input_pauses_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(pausesBefore);
    expect(Number(/^stompbox_buffer_budget_evictions_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    // Reading resumed: the sender is served again.
    sender.send(frame('SEND', { destination: '/topic/after', receipt: 'after' }, 'x'));
    await sender.waitFor((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'after', 10_000);
    await expect.poll(async () => /^stompbox_input_paused (\d+)/m.exec(await (await fetch(`${broker.httpUrl}/metrics`)).text())?.[1]).toBe('0');
    sender.close();
    stuck.close();
  }, 30_000);
});
