/**
 * The push consumer: packs from the push queue → for each room message, the room's members
 * minus its sender minus those online → burst-collapse windows → when a window closes, the
 * user's device tokens → one push per (message, count) to all their tokens, through the
 * dispatcher.
 *
 * A pack is acked once its messages are in the windows: a crash loses at most the windows still
 * open and the retries waiting (pushes are a courtesy; the messages themselves are persisted by
 * the other queue). A pack whose lookups fail (store or presence down) stays un-acked and is
 * tried again with backoff: presence that cannot answer is never read as "nobody online".
 *
 * Bounds: no pack is taken while the retries (PUSH_RETRY_MAX_TOKENS) or the windows
 * (PUSH_COLLAPSE_MAX_WINDOWS / _BYTES) are full; the queue's prefetch then fills and RabbitMQ
 * (or the in-process twin) holds the rest. Windows close on a timer whatever the packs do.
 */
import type { Logger } from 'pino';
import { backoffMs } from '../../shared/backoff';
import type { OutboundMessage } from '../../shared/message';
import type { Presence } from '../../shared/presence/presence';
import { decodePack, PackDecodeError } from '../../shared/queue/pack-codec';
import type { PackDelivery, PackSource } from '../../shared/queue/pack-source';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import { MAX_QUERY_LIMIT } from '../../shared/store/message-store';
import { sleep } from '../../shared/sleep';
import type { CollapseWindows, Window } from './collapse';
import { buildPush, previewText, type Notice, type PushContent } from './push-payload';
import type { PushDispatcher } from './push-dispatcher';
import type { PushMetrics } from './push-metrics';
import type { RetryQueue } from './retry-queue';
import type { MemberPage, RoomMembers } from './room-members';

export interface PushConsumerParts {
  source: PackSource;
  tokens: DeviceTokenStore;
  members: RoomMembers;
  /** Who is online; null: nobody is taken as online (every member but the sender gets pushes). */
  presence: Presence | null;
  windows: CollapseWindows;
  retries: RetryQueue;
  dispatcher: PushDispatcher;
}

/** One pack being taken: its messages by room, and how far each room's member pages got. */
interface PackWork {
  byRoom: Map<string, OutboundMessage[]>;
  names: Map<string, string | null>;
  notices: Map<OutboundMessage, Notice>;
  /** Per room: the user id its next page starts after; null once done. */
  next: Map<string, string | null>;
  chunks: number;
}

export interface PushConsumerOptions {
  payloadMaxBytes: number;
  maxRetryTokens: number;
}

export class PushConsumer {
  private readonly held: PackDelivery[] = [];
  private packLoopRunning = false;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;
  private closing = false;
  private readonly packIdle: Array<() => void> = [];
  /** How far the pack being taken got (kept when a lookup fails: the same delivery is tried again). */
  private progress: { delivery: PackDelivery; next: Map<string, string | null>; names: Map<string, string | null> } | null = null;

  constructor(
    private readonly p: PushConsumerParts,
    private readonly opts: PushConsumerOptions,
    private readonly logger: Logger,
    private readonly m: PushMetrics,
    private readonly clock: () => number = Date.now,
  ) {
    p.retries.onAdded = () => this.scheduleFlush();
  }

  async start(): Promise<void> {
    await this.p.source.start((d) => {
      this.held.push(d);
      this.kickPacks();
    });
  }

  /** Packs taken and not yet acked. */
  heldCount(): number {
    return this.held.length;
  }

  /** Run the window and retry flush now (tests with an injected clock advance it, then tick). */
  tick(): Promise<void> {
    return this.flush();
  }

  /** Stop taking packs; send every open window and due retry; dead-letter the retries left at `deadline`. */
  async stop(deadline: number): Promise<void> {
    this.closing = true;
    await this.p.source.stop();
    if (this.packLoopRunning) await Promise.race([new Promise<void>((r) => this.packIdle.push(r)), sleep(Math.max(0, deadline - Date.now()))]);
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    await this.flush(true);
    await Promise.race([this.p.dispatcher.idle(), sleep(Math.max(0, deadline - Date.now()))]);
    const left = this.p.retries.takeDue(0, true);
    for (const job of left) await this.p.dispatcher.deadLetter(job, `not tried again before shutdown after ${job.attempt} attempts: ${job.lastReason ?? 'unknown'} ${job.lastDetail ?? ''}`);
  }

  private paused(): boolean {
    return this.p.windows.full() || this.p.dispatcher.heldTokens() >= this.opts.maxRetryTokens;
  }

  private kickPacks(): void {
    if (this.packLoopRunning || this.stopped) return;
    this.packLoopRunning = true;
    setImmediate(() => void this.packLoop());
  }

  private async packLoop(): Promise<void> {
    let failures = 0;
    while (this.held.length > 0 && !this.stopped) {
      if (this.paused()) {
        this.m.paused.set(1);
        this.scheduleFlush();
        if (this.closing) break;
        await sleep(20);
        continue;
      }
      this.m.paused.set(0);
      const d = this.held[0];
      try {
        await this.takePack(d);
        this.held.shift();
        d.ack();
        failures = 0;
        // Windows already due go out before the next pack, so that the tokens they hold are
        // counted (sending, or waiting for a retry) when the next pack checks the bound.
        while (!this.stopped && (this.p.windows.nextDueAt() ?? Infinity) <= this.clock()) await this.flush();
      } catch (err) {
        failures++;
        this.m.errors.inc();
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: (err as Error).message, failures }, 'push lookups failed; trying the pack again');
        if (this.closing) break;
        await sleep(backoffMs(failures - 1, { baseMs: 100, maxMs: 5_000 }));
      }
    }
    this.packLoopRunning = false;
    for (const w of this.packIdle.splice(0)) w();
  }

  /**
   * Put a pack's room messages into the windows of their offline recipients, a page of members
   * at a time: the first pages of its rooms in chunks of up to MAX_QUERY_LIMIT members (one
   * presence lookup per chunk), then the further pages of big rooms one by one. Before each
   * chunk after the first (and before reading its page), due windows go out and the bounds are
   * awaited, so a big room adds at most one page beyond them. A chunk's windows are added only
   * once its lookups succeeded, and `progress` remembers what is done, so a pack tried again
   * after a failed lookup goes on from there instead of counting its first members twice.
   */
  private async takePack(d: PackDelivery): Promise<void> {
    let msgs: OutboundMessage[];
    try {
      msgs = decodePack(d.body, false).filter((m) => m.roomId !== null);
    } catch (err) {
      if (!(err instanceof PackDecodeError)) throw err;
      // The same pack reached the persist queue, whose consumer dead-letters it (stage "decode"):
      // a second letter would only be noise. Counted and logged here.
      this.m.packs.inc({ result: 'corrupt' });
      this.logger.warn({ err: err.message, bytes: d.body.length }, 'push: a pack that does not decode was skipped (the persist side dead-letters it)');
      return;
    }
    if (msgs.length === 0) {
      this.m.packs.inc({ result: 'no-room-message' });
      return;
    }
    const byRoom = new Map<string, OutboundMessage[]>();
    for (const m of msgs) {
      const l = byRoom.get(m.roomId!);
      if (l) l.push(m);
      else byRoom.set(m.roomId!, [m]);
    }
    if (this.progress?.delivery !== d) this.progress = { delivery: d, next: new Map(), names: new Map() };
    const { next, names } = this.progress;
    const notices = new Map<OutboundMessage, Notice>();
    const pack: PackWork = { byRoom, names, notices, next, chunks: 0 };

    const fresh = [...byRoom.keys()].filter((r) => !next.has(r));
    const first = await this.p.members.first(fresh);
    let chunk: Array<[string, MemberPage]> = [];
    let size = 0;
    for (const roomId of fresh) {
      const page = first.get(roomId)!;
      names.set(roomId, page.name);
      if (chunk.length > 0 && size + page.members.length > MAX_QUERY_LIMIT) {
        await this.roomForChunk(pack);
        await this.addChunk(pack, chunk);
        chunk = [];
        size = 0;
      }
      chunk.push([roomId, page]);
      size += page.members.length;
    }
    if (chunk.length > 0) {
      await this.roomForChunk(pack);
      await this.addChunk(pack, chunk);
    }
    for (const roomId of byRoom.keys()) {
      for (let after = next.get(roomId); after; after = next.get(roomId)) {
        await this.roomForChunk(pack); // before the read: a page waiting for room is not held
        await this.addChunk(pack, [[roomId, await this.p.members.after(roomId, after)]]);
      }
    }
    this.progress = null;
    this.m.packs.inc({ result: 'taken' });
    this.scheduleFlush();
  }

  /** One chunk of member pages into the windows: who is online, then a window per offline member and message. */
  private async addChunk(pack: PackWork, chunk: Array<[string, MemberPage]>): Promise<void> {
    pack.chunks++;
    const candidates = new Set<string>();
    for (const [roomId, page] of chunk) {
      // Everyone but a sender of every one of the room's messages may be pushed to.
      const msgs = pack.byRoom.get(roomId)!;
      const only = msgs.every((m) => m.senderId === msgs[0].senderId) ? msgs[0].senderId : null;
      for (const u of page.members) if (u !== only) candidates.add(u);
    }
    const online = this.p.presence && candidates.size > 0 ? await this.p.presence.onlineAmong([...candidates]) : new Set<string>();
    const now = this.clock();
    let offline = 0;
    let on = 0;
    let senders = 0;
    let collapsed = 0;
    for (const [roomId, page] of chunk) {
      for (const m of pack.byRoom.get(roomId)!) {
        let notice = pack.notices.get(m);
        if (!notice) {
          notice = { roomId, roomName: pack.names.get(roomId) ?? null, messageId: m.id, senderId: m.senderId, preview: previewText(m.body, m.contentType, this.opts.payloadMaxBytes) };
          pack.notices.set(m, notice);
        }
        for (const u of page.members) {
          if (u === m.senderId) senders++;
          else if (online.has(u)) on++;
          else {
            offline++;
            if (this.p.windows.add(u, notice, now)) collapsed++;
          }
        }
      }
      pack.next.set(roomId, page.next);
    }
    this.m.decisions.inc({ decision: 'offline' }, offline);
    this.m.decisions.inc({ decision: 'online' }, on);
    this.m.decisions.inc({ decision: 'sender' }, senders);
    this.m.collapsed.inc(collapsed);
    this.m.windows.set(this.p.windows.size());
  }

  /** Before every chunk of a pack but its first: send what is due, and wait while the bounds are reached (not when closing). */
  private async roomForChunk(pack: PackWork): Promise<void> {
    if (pack.chunks === 0) return;
    while (!this.stopped && (this.p.windows.nextDueAt() ?? Infinity) <= this.clock()) await this.flush();
    while (this.paused() && !this.closing) {
      this.m.paused.set(1);
      this.scheduleFlush();
      await sleep(20);
    }
    this.m.paused.set(0);
  }

  /** Arm the timer for the next window or retry due. */
  private scheduleFlush(): void {
    if (this.stopped) return;
    const next = Math.min(this.p.windows.nextDueAt() ?? Infinity, this.p.retries.nextDueAt() ?? Infinity);
    if (next === Infinity || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.flush();
    }, Math.max(0, next - this.clock()));
    this.timer.unref?.();
  }

  /** Send the retries and windows that are due (every open window with `all`). */
  private flush(all = false): Promise<void> {
    // One flush at a time; a caller arriving meanwhile waits for the running one.
    this.flushing ??= this.flushOnce(all).finally(() => {
      this.flushing = null;
      this.scheduleFlush();
      if (this.held.length > 0) this.kickPacks();
    });
    return this.flushing;
  }

  private async flushOnce(all: boolean): Promise<void> {
    for (;;) {
      const now = this.clock();
      const retries = this.p.retries.takeDue(now);
      for (const job of retries) {
        await this.p.dispatcher.waitForRoom();
        void this.p.dispatcher.deliver(job);
      }
      const due = this.p.windows.takeDue(now, all);
      this.m.windows.set(this.p.windows.size());
      if (due.length > 0) await this.sendWindows(due);
      if (retries.length === 0 && due.length === 0) break;
    }
  }

  /** Tokens of the windows' users, then one job per distinct push content. */
  private async sendWindows(due: Window[]): Promise<void> {
    for (let i = 0; i < due.length; i += MAX_QUERY_LIMIT) {
      const slice = due.slice(i, i + MAX_QUERY_LIMIT);
      const byUser = await this.tokensOf([...new Set(slice.map((w) => w.userId))]);
      const jobs = new Map<string, { content: PushContent; tokens: string[] }>();
      for (const w of slice) {
        const tokens = byUser.get(w.userId);
        if (!tokens) {
          this.m.noToken.inc();
          continue;
        }
        // Users whose windows say the same thing share one payload and one batch.
        const key = `${w.latest.messageId}\u0000${w.count}\u0000${w.oneSender ? 1 : 0}`;
        let job = jobs.get(key);
        if (!job) jobs.set(key, (job = { content: { notice: w.latest, count: w.count, oneSender: w.oneSender }, tokens: [] }));
        job.tokens.push(...tokens);
      }
      for (const { content, tokens } of jobs.values()) {
        await this.p.dispatcher.waitForRoom();
        void this.p.dispatcher.deliver({ content, message: buildPush(content, this.opts.payloadMaxBytes), tokens, attempt: 0, minimal: false });
      }
    }
  }

  /** Device tokens by user, retried with backoff while the store is away (until shutdown). */
  private async tokensOf(users: string[]): Promise<Map<string, string[]>> {
    for (let failures = 0; ; failures++) {
      try {
        const list = await this.p.tokens.listDeviceTokens(users);
        const out = new Map<string, string[]>();
        for (const t of list) {
          const l = out.get(t.userId);
          if (l) l.push(t.token);
          else out.set(t.userId, [t.token]);
        }
        return out;
      } catch (err) {
        this.m.errors.inc();
        if (failures === 0 || failures % 20 === 0) this.logger.warn({ err: (err as Error).message, users: users.length }, 'device tokens could not be read; trying again');
        if (this.stopped && failures >= 2) {
          this.m.failed.inc({ reason: 'store-unavailable' }, users.length);
          this.logger.error({ users: users.length }, 'pushes not sent at shutdown: device tokens could not be read');
          return new Map();
        }
        await sleep(backoffMs(failures, { baseMs: 100, maxMs: 5_000 }));
      }
    }
  }
}
