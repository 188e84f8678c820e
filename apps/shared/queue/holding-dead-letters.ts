/**
 * The consumer's dead-letter sink: put() resolves only once the letter is recorded. When the
 * sink refuses it because it is full (DeadLetterRefusedError: RabbitMQ nacks the publish under
 * `x-overflow: reject-publish`, or the in-memory twin is at its bound) the letter is retried
 * with backoff while the caller keeps its pack or stream entry un-acked, so a full dead-letter
 * queue pushes back to RabbitMQ as a full stream does, and no dead letter already kept is lost.
 *
 * Loud on purpose: persistence stalls for as long as the queue stays full. Logged at error
 * level (the first refusal, then at most every 30 s), gauged in stompbox_dead_letters_held;
 * the sink itself counts each refusal. At shutdown `giveUpAt` ends the wait: put() then
 * rejects and the entry stays un-acked for the next start.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { backoffMs, type Backoff } from '../backoff';
import { deadLettersHeld } from './dead-letter-metrics';
import { DeadLetterRefusedError, type DeadLetter, type DeadLetterSink } from './pack-source';

const LOG_EVERY_MS = 30_000;

export class HoldingDeadLetters implements DeadLetterSink {
  readonly kind: string;
  private held = 0;
  private stopAt = Infinity;
  private readonly wakers = new Set<() => void>();
  private loggedAt = -Infinity;
  private readonly mHeld;

  constructor(
    private readonly inner: DeadLetterSink,
    private readonly logger: Logger,
    registry: Registry,
    private readonly retry: Backoff = { baseMs: 200, maxMs: 5_000 },
  ) {
    this.kind = inner.kind;
    this.mHeld = deadLettersHeld(registry);
  }

  async put(letter: DeadLetter): Promise<void> {
    let refusals = 0;
    try {
      for (;;) {
        try {
          await this.inner.put(letter);
          if (refusals > 0) this.logger.warn({ sink: this.kind, refusals, messageIds: letter.messageIds.slice(0, 10) }, 'dead letter recorded after the dead-letter queue had refused it');
          return;
        } catch (err) {
          if (!(err instanceof DeadLetterRefusedError)) throw err;
          if (refusals++ === 0) this.hold(1);
          this.logRefusal(err, letter);
          const delay = backoffMs(refusals - 1, this.retry);
          if (Date.now() + delay > this.stopAt) {
            throw new DeadLetterRefusedError(`${err.message}; not recorded before shutdown, its entry stays unacknowledged`);
          }
          await this.pause(delay);
        }
      }
    } finally {
      if (refusals > 0) this.hold(-1);
    }
  }

  /** Letters waiting for room now. */
  heldCount(): number {
    return this.held;
  }

  /** Shutdown: stop waiting for room at `deadline` (ms epoch). */
  giveUpAt(deadline: number): void {
    this.stopAt = deadline;
    for (const w of this.wakers) w();
  }

  async close(): Promise<void> {
    this.giveUpAt(Date.now());
    await this.inner.close();
  }

  private hold(d: number): void {
    this.held += d;
    this.mHeld.set(this.held);
  }

  private logRefusal(err: Error, letter: DeadLetter): void {
    const now = Date.now();
    if (now - this.loggedAt < LOG_EVERY_MS) return;
    this.loggedAt = now;
    this.logger.error(
      { sink: this.kind, reason: err.message, stage: letter.stage, messageIds: letter.messageIds.slice(0, 10), held: this.held },
      'DEAD-LETTER QUEUE FULL: it refuses new dead letters; persistence of the affected packs waits (unacknowledged) until it is drained',
    );
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
