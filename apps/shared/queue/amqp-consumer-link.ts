/**
 * The consumer's RabbitMQ side on one self-healing connection (amqp-connection.ts):
 * - `source`: consumes the persist queue (or `queue`: the push queue) with a prefetch window (at most `prefetch` packs
 *   un-acked: RabbitMQ keeps the rest, which is the backpressure when the stream is full);
 * - `deadLetters`: publishes what cannot be stored to the dead-letter exchange on a confirm
 *   channel, with headers `x-reason`, `x-stage`, `x-message-ids`. A lost connection is waited
 *   out; a nack is the full dead-letter queue refusing the letter (`x-overflow:
 *   reject-publish`, amqp-topology.ts): counted, and put() rejects with DeadLetterRefusedError
 *   so the caller keeps its pack and tries again (holding-dead-letters.ts).
 * After a reconnect RabbitMQ redelivers every pack that was not acked; acks for deliveries of
 * a lost channel are ignored (the packs come again, the idempotent insert absorbs repeats).
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ReconnectingAmqp } from './amqp-connection';
import { declareTopology, type AmqpTopology } from './amqp-topology';
import { DeadLetterRefusedError, type DeadLetter, type DeadLetterSink, type PackDelivery, type PackSource } from './pack-source';
import { deadLettersRefused } from './dead-letter-metrics';
import { sleep } from '../sleep';

export interface AmqpConsumerOptions {
  url: string;
  topology: AmqpTopology;
  prefetch: number;
  startWaitMs?: number;
  /** Queue to consume; default the persist queue (the push consumer names the push queue). */
  queue?: string;
}

/** Longest `x-message-ids` header written (ids of a large pack are cut, the body has them all). */
const MAX_IDS_HEADER = 4_000;
/** What amqplib's confirm callback receives for a basic.nack. */
const NACKED = 'message nacked';

export class AmqpConsumerLink {
  private ch: Channel | null = null;
  private confirm: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  private onDelivery: ((d: PackDelivery) => void) | null = null;
  private readonly amqp: ReconnectingAmqp;
  private connectedWaiters: Array<() => void> = [];
  private closed = false;
  private readonly mRefused;

  constructor(
    private readonly opts: AmqpConsumerOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.mRefused = deadLettersRefused(registry);
    this.amqp = new ReconnectingAmqp({ url: opts.url, role: 'consumer' }, (c) => this.setup(c), () => this.down(), logger, registry);
  }

  private async setup(conn: ChannelModel): Promise<void> {
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'consumer channel error'));
    ch.on('close', () => {
      if (this.ch === ch) this.amqp.reset('consumer channel closed');
    });
    await declareTopology(ch, this.opts.topology);
    await ch.prefetch(this.opts.prefetch);
    const confirm = await conn.createConfirmChannel();
    confirm.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'dead-letter channel error'));
    confirm.on('close', () => {
      if (this.confirm === confirm) this.amqp.reset('dead-letter channel closed');
    });
    this.ch = ch;
    this.confirm = confirm;
    if (this.onDelivery) await this.consume();
    const ws = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const w of ws) w();
  }

  private down(): void {
    this.ch = null;
    this.confirm = null;
    this.consumerTag = null;
  }

  private async consume(): Promise<void> {
    const ch = this.ch;
    if (!ch || this.consumerTag) return;
    const reply = await ch.consume(this.opts.queue ?? this.opts.topology.persistQueue, (msg: ConsumeMessage | null) => {
      if (!msg) {
        // Cancelled by RabbitMQ (queue deleted): reconnect, which redeclares and resubscribes.
        this.amqp.reset('consumer cancelled by RabbitMQ');
        return;
      }
      const cb = this.onDelivery;
      if (!cb) return; // stopped: RabbitMQ gets it back when the channel closes
      cb({
        body: msg.content,
        redelivered: msg.fields.redelivered,
        ack: () => {
          if (this.ch !== ch) return;
          try {
            ch.ack(msg);
          } catch {
            // channel closing: the pack will be redelivered
          }
        },
      });
    });
    this.consumerTag = reply.consumerTag;
  }

  readonly source: PackSource = {
    kind: 'amqp',
    start: async (onDelivery) => {
      this.onDelivery = onDelivery;
      const ok = await this.amqp.start(this.opts.startWaitMs ?? 5_000);
      if (!ok) this.logger.error('RabbitMQ not reachable at start; consuming once it is');
      else await this.consume();
    },
    stop: async () => {
      this.onDelivery = null;
      const ch = this.ch;
      const tag = this.consumerTag;
      this.consumerTag = null;
      if (ch && tag) await ch.cancel(tag).catch(() => undefined);
    },
    isReady: () => this.ch !== null,
    close: async () => {
      this.closed = true;
      await this.amqp.close();
    },
  };

  readonly deadLetters: DeadLetterSink = {
    kind: 'amqp',
    put: (letter) => this.putDeadLetter(letter),
    close: async () => undefined,
  };

  private async putDeadLetter(letter: DeadLetter): Promise<void> {
    // Wait for a connection (dead letters are never dropped; the caller keeps its entry pending).
    // A nack is RabbitMQ refusing it (the queue is full): the caller decides when to try again.
    for (;;) {
      if (this.closed) throw new Error('consumer link closed before the dead letter was recorded');
      const ch = this.confirm;
      if (ch) {
        let ids = letter.messageIds.join(',');
        if (ids.length > MAX_IDS_HEADER) ids = ids.slice(0, MAX_IDS_HEADER) + '...';
        try {
          await new Promise<void>((resolve, reject) => {
            ch.publish(
              this.opts.topology.deadExchange,
              '',
              letter.body,
              {
                persistent: true,
                headers: { 'x-reason': letter.reason.slice(0, 1_000), 'x-stage': letter.stage, 'x-message-ids': ids },
                timestamp: Math.floor(Date.now() / 1000),
              },
              (err: Error | null) => (err ? reject(err) : resolve()),
            );
          });
          return;
        } catch (err) {
          if ((err as Error).message === NACKED) {
            this.mRefused.inc({ sink: 'amqp' });
            throw new DeadLetterRefusedError(`RabbitMQ refused the dead letter: queue ${this.opts.topology.deadQueue} is full (x-overflow reject-publish)`);
          }
          this.logger.warn({ err: (err as Error).message }, 'dead letter not confirmed; retrying');
        }
      }
      if (!this.amqp.connection) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1_000);
          this.connectedWaiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      } else await sleep(200);
    }
  }
}
