/**
 * A steady sender for the pipeline's fault tests: publishes `perTick` messages every `tickMs`
 * until stopped, and records which were confirmed (the RECEIPT guarantee), which failed
 * (the sender would get ERROR) and which were refused at once (buffer full).
 */
import type { Offload } from '../queue/offload';
import type { OutboundMessage } from '../message';
import { OffloadFullError } from '../queue/offload';
import { sleep } from '../sleep';

export interface SendLoop {
  accepted: string[];
  confirmed: Set<string>;
  failed: Set<string>;
  refused: number;
  /** Stop sending and wait until every accepted message is confirmed or failed. */
  stop(): Promise<void>;
}

export function sendLoop(offload: Offload, make: () => OutboundMessage, perTick = 50, tickMs = 10): SendLoop {
  const loop: SendLoop = { accepted: [], confirmed: new Set(), failed: new Set(), refused: 0, stop: async () => {} };
  const settles: Promise<void>[] = [];
  let running = true;
  const tick = () => {
    if (!running) return;
    for (let i = 0; i < perTick; i++) {
      const m = make();
      try {
        const p = offload.publish(m);
        loop.accepted.push(m.id);
        settles.push(
          p.then(
            () => void loop.confirmed.add(m.id),
            () => void loop.failed.add(m.id),
          ),
        );
      } catch (err) {
        if (!(err instanceof OffloadFullError)) throw err;
        loop.refused++;
      }
    }
    timer = setTimeout(tick, tickMs);
  };
  let timer = setTimeout(tick, 0);
  loop.stop = async () => {
    running = false;
    clearTimeout(timer);
    await Promise.all(settles);
  };
  return loop;
}

/**
 * Publish `msgs` as fast as the offload accepts them (a full buffer means: wait a tick), then
 * wait for every confirm: the benchmarks' burst.
 */
export async function burst(offload: Offload, msgs: OutboundMessage[]): Promise<void> {
  const confirms: Promise<void>[] = [];
  for (let i = 0; i < msgs.length; ) {
    try {
      confirms.push(offload.publish(msgs[i]));
      i++;
      if (i % 2_000 === 0) await new Promise((r) => setImmediate(r)); // let the socket breathe, as a broker would
    } catch (err) {
      if (!(err instanceof OffloadFullError)) throw err;
      await sleep(1);
    }
  }
  await Promise.all(confirms);
}
