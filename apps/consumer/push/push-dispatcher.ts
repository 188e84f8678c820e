/**
 * Sends pushes and acts on every answer. A job's tokens go out in sendEachForMulticast calls of
 * at most `batchTokens`; batches smaller than that share sendEach calls with other jobs' (up to
 * `batchTokens` tokens a call); at most `concurrency` calls in flight for the whole process. Per token:
 * - sent: counted;
 * - UNREGISTERED, or INVALID_ARGUMENT about the token: the token is deleted;
 * - INVALID_ARGUMENT about the payload: sent again once without the message text (counted);
 * - SENDER_ID_MISMATCH, APNs auth: our configuration is wrong; logged at error, token kept;
 * - UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED (and network or unknown errors): tried again after
 *   an exponential, jittered delay (QUOTA_EXCEEDED: a minute at least); after the last try
 *   the push goes to the dead-letter queue with its reason. firebase-admin itself already
 *   retries a 503 a few times, honouring its Retry-After, before it reports UNAVAILABLE.
 */
import type { Logger } from 'pino';
import type { DeadLetterSink } from '../../shared/queue/pack-source';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import type { Outcome, RetryReason } from './fcm-outcome';
import { minimalPush } from './push-payload';
import type { PushMetrics } from './push-metrics';
import type { PushSender } from './push-sender';
import { retryDelayMs, type PushJob, type RetryPolicy, type RetryQueue } from './retry-queue';

export interface DispatchOptions {
  batchTokens: number;
  concurrency: number;
  /** Sends of one push to one token, at most. */
  maxAttempts: number;
  retry: RetryPolicy;
}

const LOG_EVERY_MS = 30_000;

interface SmallBatch {
  job: PushJob;
  tokens: string[];
  done: () => void;
}

export class PushDispatcher {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private jobs = 0;
  private inflightTokens = 0;
  /** Tokens of jobs between deliver() and the handling of their answers. */
  private pendingTokens = 0;
  /** Tokens of dead letters not yet recorded (they count against the retry bound). */
  private deadPending = 0;
  private readonly loggedAt = new Map<string, number>();
  /** Small batches waiting to share one call (see shareCall). */
  private readonly small: SmallBatch[] = [];
  private smallTokens = 0;
  private smallScheduled = false;

  constructor(
    private readonly sender: PushSender,
    private readonly tokens: DeviceTokenStore,
    private readonly deadLetters: DeadLetterSink,
    private readonly retries: RetryQueue,
    private readonly opts: DispatchOptions,
    private readonly logger: Logger,
    private readonly m: PushMetrics,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True while a call could start at once (the flusher waits for this before starting a job). */
  hasRoom(): boolean {
    return this.active + this.waiting.length < this.opts.concurrency;
  }

  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Tokens held in memory beyond the windows: being sent, waiting for a retry, or dead letters
   * not yet recorded. The consumer takes no pack while this is at its bound.
   */
  heldTokens(): number {
    return this.pendingTokens + this.retries.tokens() + this.deadPending;
  }

  /** Resolves once no job is in progress. */
  idle(): Promise<void> {
    if (this.jobs === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Send a job to all its tokens and handle every answer; never rejects. */
  async deliver(job: PushJob): Promise<void> {
    this.jobs++;
    this.pendingTokens += job.tokens.length;
    try {
      const parts: Promise<void>[] = [];
      for (let i = 0; i < job.tokens.length; i += this.opts.batchTokens) {
        const tokens = job.tokens.slice(i, i + this.opts.batchTokens);
        parts.push(tokens.length < this.opts.batchTokens && this.sender.sendParts ? this.shareCall(job, tokens) : this.sendBatch(job, tokens));
      }
      await Promise.all(parts);
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'push delivery failed unexpectedly');
    } finally {
      this.pendingTokens -= job.tokens.length;
      if (--this.jobs === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** A full batch: a call of its own. */
  private sendBatch(job: PushJob, tokens: string[]): Promise<void> {
    return this.sendCall([{ job, tokens, done: () => {} }], tokens.length);
  }

  /**
   * A batch short of `batchTokens` waits for the rest of this event-loop turn and goes out in one
   * sendEach call with the others (up to `batchTokens` tokens in all): chat pushes are mostly a
   * few tokens each, with content of their own, and one call each would make the concurrency
   * limit (and one HTTP/2 connection per call) the ceiling.
   */
  private shareCall(job: PushJob, tokens: string[]): Promise<void> {
    return new Promise<void>((done) => {
      this.small.push({ job, tokens, done });
      this.smallTokens += tokens.length;
      if (this.smallTokens >= this.opts.batchTokens) this.sendShared(false);
      if (this.small.length > 0 && !this.smallScheduled) {
        this.smallScheduled = true;
        setImmediate(() => {
          this.smallScheduled = false;
          this.sendShared(true);
        });
      }
    });
  }

  /** Full shared calls out of the small batches waiting; with `all`, the rest too. */
  private sendShared(all: boolean): void {
    while (this.small.length > 0 && (all || this.smallTokens >= this.opts.batchTokens)) {
      const call: SmallBatch[] = [];
      let n = 0;
      while (this.small.length > 0 && n + this.small[0].tokens.length <= this.opts.batchTokens) {
        const b = this.small.shift()!;
        call.push(b);
        n += b.tokens.length;
      }
      this.smallTokens -= n;
      void this.sendCall(call, n);
    }
  }

  /** One FCM call for the batches of `call` (`n` tokens in all), then each batch's answers handled; never rejects. */
  private async sendCall(call: SmallBatch[], n: number): Promise<void> {
    try {
      await this.acquire();
      this.inflightTokens += n;
      this.m.inflightTokens.set(this.inflightTokens);
      let outcomes: Outcome[];
      try {
        outcomes = call.length === 1
          ? await this.sender.send(call[0].job.message, call[0].tokens)
          : await this.sender.sendParts!(call.map((b) => ({ message: b.job.message, tokens: b.tokens })));
      } finally {
        this.inflightTokens -= n;
        this.m.inflightTokens.set(this.inflightTokens);
        this.release();
      }
      let at = 0;
      await Promise.all(call.map((b) => this.handle(b.job, b.tokens, outcomes.slice(at, (at += b.tokens.length)))));
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'push delivery failed unexpectedly');
    } finally {
      for (const b of call) b.done();
    }
  }

  private async handle(job: PushJob, tokens: string[], outcomes: Outcome[]): Promise<void> {
    const attempt = job.attempt + 1;
    const dead: Record<string, string[]> = {};
    const badPayload: string[] = [];
    const again: string[] = [];
    let sent = 0;
    let retryReason: RetryReason = 'unknown';
    let retryDetail = '';
    let quota = false;
    outcomes.forEach((o, i) => {
      const token = tokens[i];
      switch (o.kind) {
        case 'sent':
          sent++;
          break;
        case 'drop-token':
          (dead[o.reason] ??= []).push(token);
          break;
        case 'bad-payload':
          if (job.minimal) this.fail('invalid-payload', 1, o.detail, 'FCM refused even the text-free payload');
          else {
            badPayload.push(token);
            this.noteOnce('bad-payload', 'warn', { detail: o.detail, roomId: job.content.notice.roomId }, 'FCM refused a push payload as invalid; sending it again without the message text');
          }
          break;
        case 'config':
          this.fail(o.reason, 1, o.detail, o.reason === 'sender-id-mismatch'
            ? 'FCM SENDER_ID_MISMATCH: the device tokens belong to another Firebase project than these credentials; check GOOGLE_APPLICATION_CREDENTIALS / FCM_SERVICE_ACCOUNT_JSON (tokens kept)'
            : 'FCM could not reach APNs / web push with the configured keys; check the Firebase project settings (tokens kept)', 'error');
          break;
        case 'retry':
          again.push(token);
          retryReason = o.reason;
          retryDetail = o.detail;
          quota ||= o.quota;
          break;
        case 'failed':
          this.fail(o.reason, 1, o.detail, 'push failed');
          break;
      }
    });
    if (this.sender.kind !== 'off') this.m.sent.inc(sent);
    if (badPayload.length > 0) {
      this.m.payloadFixed.inc(badPayload.length);
      await this.deliver({ ...job, message: minimalPush(job.content), tokens: badPayload, minimal: true, attempt });
    }
    if (again.length > 0) this.retryOrGiveUp({ ...job, tokens: again, attempt, lastReason: retryReason, lastDetail: retryDetail }, quota);
    for (const [reason, list] of Object.entries(dead)) await this.deleteTokens(reason, list);
  }

  private retryOrGiveUp(job: PushJob, quota: boolean): void {
    const reason = job.lastReason ?? 'unknown';
    if (job.attempt >= this.opts.maxAttempts) {
      void this.deadLetter(job, `${reason} after ${job.attempt} attempts: ${job.lastDetail ?? ''}`);
      return;
    }
    this.m.retried.inc({ reason }, job.tokens.length);
    this.retries.add(job, this.clock() + retryDelayMs(job.attempt, quota, this.opts.retry));
  }

  /** Record a push that will not be tried again; resolves once the dead-letter queue has it. */
  async deadLetter(job: PushJob, reason: string): Promise<void> {
    const label = job.lastReason ?? 'unknown';
    this.deadPending += job.tokens.length;
    try {
      await this.deadLetters.put({
        reason: `push: ${reason}`.slice(0, 1_000),
        stage: 'push',
        // What a replay needs: the FCM message and the tokens it was for.
        body: Buffer.from(JSON.stringify({ message: job.message, tokens: job.tokens, attempts: job.attempt })),
        messageIds: [job.content.notice.messageId],
      });
      this.m.deadLettered.inc({ reason: label }, job.tokens.length);
      this.m.failed.inc({ reason: label }, job.tokens.length);
    } catch (err) {
      this.m.failed.inc({ reason: 'dead-letter-refused' }, job.tokens.length);
      this.logger.error({ err: (err as Error).message, tokens: job.tokens.length, messageId: job.content.notice.messageId }, 'push could not be dead-lettered before shutdown; it is lost');
    } finally {
      this.deadPending -= job.tokens.length;
    }
  }

  private async deleteTokens(reason: string, tokens: string[]): Promise<void> {
    try {
      await this.tokens.deleteDeviceTokens(tokens);
      this.m.tokensDeleted.inc({ reason }, tokens.length);
      this.m.failed.inc({ reason }, tokens.length);
    } catch (err) {
      // The next push to a dead token is answered the same way: it is deleted then.
      this.m.failed.inc({ reason }, tokens.length);
      this.noteOnce('delete-tokens', 'warn', { err: (err as Error).message, tokens: tokens.length }, 'dead device tokens could not be deleted; tried again on their next push');
    }
  }

  private fail(reason: string, n: number, detail: string, msg: string, level: 'warn' | 'error' = 'warn'): void {
    this.m.failed.inc({ reason }, n);
    this.noteOnce(reason, level, { reason, detail }, msg);
  }

  /** Log at most once per LOG_EVERY_MS per kind: a broken configuration fails every push. */
  private noteOnce(kind: string, level: 'warn' | 'error', obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - (this.loggedAt.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.loggedAt.set(kind, now);
    this.logger[level](obj, msg);
  }

  private acquire(): Promise<void> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.active++;
      resolve();
    }));
  }

  private release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next();
    if (this.hasRoom()) for (const w of this.roomWaiters.splice(0)) w();
  }
}
