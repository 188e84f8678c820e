/** Chat messages for pipeline tests and the benchmark. */
import { MessageIdGenerator } from '../message-id';
import type { OutboundMessage } from '../message';
import { sleep } from '../sleep';

export function messageFactory(nodeId = 'tst', rooms = 50) {
  const ids = new MessageIdGenerator(nodeId);
  let n = 0;
  return (over: Partial<OutboundMessage> = {}): OutboundMessage => {
    const i = n++;
    const roomId = `r${i % rooms}`;
    return {
      id: ids.next(),
      destination: `/topic/room.${roomId}`,
      roomId,
      senderId: `u${i % 7}`,
      nodeId,
      sentAt: Date.now(),
      contentType: 'text/plain',
      headers: {},
      body: Buffer.from(`message ${i} ${'x'.repeat(60)}`),
      ...over,
    };
  };
}

/** Poll until `check` is true or fail after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
