/**
 * The RabbitMQ Offload: packs (packing-offload.ts) published persistent on a confirm channel,
 * many in flight; each message's promise settles with its pack's confirm.
 *
 * AMQP properties of a pack: `messageId` = the single message id, or `<first>..<last>` for a
 * pack of several; header `x-count` = messages in it; `contentType` = PACK_CONTENT_TYPE.
 *
 * Failure behaviour:
 * - connection lost: unconfirmed packs go back to the head of the buffer and are published
 *   again after reconnect (backoff 100 ms .. 2 s). RabbitMQ may then hold a pack twice; the
 *   consumer's insert skips the duplicate ids.
 * - RabbitMQ blocked (memory/disk alarm) or the socket buffer full: packs wait in the buffer.
 * - meanwhile the buffer is bounded (OFFLOAD_MAX_PENDING / _BYTES, then OffloadFullError),
 *   and a pack not confirmed within OFFLOAD_TIMEOUT_MS fails its senders.
 * What a sender without a receipt can lose: only messages still in this process's buffer when
 * the process itself dies (crash, kill -9); messages refused (buffer full) or timed out get an
 * error (the broker sends ERROR), never silence.
 */
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { PACK_CONTENT_TYPE } from './pack-codec';
import { declareTopology, PACK_ROUTING_KEY, type AmqpTopology } from './amqp-topology';
import { ReconnectingAmqp } from './amqp-connection';
import { PackingOffload, type PackingOptions, type PackTransport, type SealedPack, type TransportHooks } from './packing-offload';
import { gauge } from '../metrics';

export interface AmqpOffloadOptions extends PackingOptions {
  url: string;
  topology: AmqpTopology;
  /** Packs published and not yet confirmed, at most. */
  maxInflightPacks: number;
  /** How long start() waits for the first connection before returning (connecting goes on). */
  startWaitMs?: number;
}

interface Inflight {
  pack: SealedPack;
  settle(err?: Error): void;
}

export class AmqpPackTransport implements PackTransport {
  readonly kind = 'amqp';
  private ch: ConfirmChannel | null = null;
  private blocked = false;
  private writeBlocked = false;
  private hooks!: TransportHooks;
  /** In publish order (Map keeps insertion order). */
  private inflight = new Map<number, Inflight>();
  private readonly amqp: ReconnectingAmqp;
  private readonly mBlocked;

  constructor(
    private readonly opts: AmqpOffloadOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.amqp = new ReconnectingAmqp({ url: opts.url, role: 'publisher' }, (c) => this.setup(c), () => this.down(), logger, registry);
    this.mBlocked = gauge(registry, 'stompbox_amqp_blocked', '1 while RabbitMQ blocks publishing (resource alarm)', ['role']);
  }

  async start(hooks: TransportHooks): Promise<void> {
    this.hooks = hooks;
    const ok = await this.amqp.start(this.opts.startWaitMs ?? 5_000);
    if (!ok) this.logger.error('RabbitMQ not reachable at start; buffering SENDs (bounded) while reconnecting');
  }

  canSend(): boolean {
    return this.ch !== null && !this.blocked && !this.writeBlocked && this.inflight.size < this.opts.maxInflightPacks;
  }

  isReady(): boolean {
    return this.ch !== null && !this.blocked;
  }

  send(pack: SealedPack, settle: (err?: Error) => void): void {
    const ch = this.ch!;
    const entry: Inflight = { pack, settle };
    this.inflight.set(pack.seq, entry);
    let ok: boolean;
    try {
      ok = ch.publish(
      this.opts.topology.exchange,
      PACK_ROUTING_KEY,
      pack.body,
      {
        persistent: true,
        mandatory: false,
        contentType: PACK_CONTENT_TYPE,
        messageId: pack.count === 1 ? pack.firstId : `${pack.firstId}..${pack.lastId}`,
        timestamp: Math.floor(pack.sealedAt / 1000),
        headers: { 'x-count': pack.count },
      },
      (err: Error | null) => {
        if (this.inflight.get(pack.seq) !== entry) return; // already given back
        this.inflight.delete(pack.seq);
        if (err && err.message !== 'message nacked') {
          // The channel closed before the confirm: give it back to be sent again, in order
          // (returned on a microtask, after this channel's close handler has run).
          this.giveBack([pack]);
          return;
        }
        entry.settle(err ?? undefined);
        if (this.canSend()) this.hooks.writable();
      },
    );
    } catch (err) {
      // The channel is closing (amqplib throws IllegalOperationError): send it again later.
      this.logger.debug({ err: (err as Error).message }, 'publish on a closing channel');
      this.inflight.delete(pack.seq);
      this.ch = null; // no more sends on it; reconnect for a fresh channel
      this.amqp.reset('publish on a closed channel');
      this.giveBack([pack]);
      return;
    }
    if (!ok) this.writeBlocked = true;
  }

  async close(): Promise<void> {
    const ch = this.ch;
    this.ch = null;
    if (ch) await ch.close().catch(() => undefined);
    await this.amqp.close();
  }

  private async setup(conn: ChannelModel): Promise<void> {
    conn.on('blocked', (reason: string) => {
      this.blocked = true;
      this.mBlocked.set({ role: 'publisher' }, 1);
      this.logger.warn({ reason }, 'RabbitMQ blocked publishing');
    });
    conn.on('unblocked', () => {
      this.blocked = false;
      this.mBlocked.set({ role: 'publisher' }, 0);
      this.logger.info('RabbitMQ unblocked publishing');
      this.hooks.writable();
    });
    const ch = await conn.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'publisher channel error'));
    ch.on('close', () => {
      if (this.ch === ch) {
        this.ch = null;
        this.amqp.reset('publisher channel closed');
      }
    });
    ch.on('drain', () => {
      this.writeBlocked = false;
      this.hooks.writable();
    });
    await declareTopology(ch, this.opts.topology);
    this.writeBlocked = false;
    this.blocked = false;
    this.ch = ch;
    this.hooks.writable();
  }

  private down(): void {
    this.ch = null;
    const packs = [...this.inflight.values()].map((e) => e.pack);
    this.inflight.clear();
    this.giveBack(packs);
  }

  private pendingReturn: SealedPack[] = [];
  /** Collect packs given back during one synchronous burst of callbacks, return them in order. */
  private giveBack(packs: SealedPack[]): void {
    if (packs.length === 0) return;
    const first = this.pendingReturn.length === 0;
    this.pendingReturn.push(...packs);
    if (first) {
      queueMicrotask(() => {
        const ret = this.pendingReturn.sort((a, b) => a.seq - b.seq);
        this.pendingReturn = [];
        this.hooks.returned(ret);
      });
    }
  }
}

/** The broker's RabbitMQ offload. Call `start()` before publishing. */
export function createAmqpOffload(opts: AmqpOffloadOptions, logger: Logger, registry: Registry): PackingOffload {
  return new PackingOffload(new AmqpPackTransport(opts, logger, registry), opts, logger, registry);
}
