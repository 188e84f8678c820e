/**
 * The push side of the consumer, assembled: push queue → PushConsumer (members, presence,
 * collapse) → PushDispatcher (FCM, retries, dead letters) → device-token hygiene. Used by
 * `npm run consumer` (main.ts) and the all-in-one process (all-in-one/pipeline.ts).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { closeOnce } from '../../shared/close-once';
import type { Presence } from '../../shared/presence/presence';
import { HoldingDeadLetters } from '../../shared/queue/holding-dead-letters';
import type { DeadLetterSink, PackSource } from '../../shared/queue/pack-source';
import type { DeviceTokenStore } from '../../shared/store/device-token-store';
import type { RoomDirectory } from '../../shared/store/room-directory';
import { CollapseWindows } from './collapse';
import { PushConsumer } from './push-consumer';
import { PushDispatcher } from './push-dispatcher';
import { pushMetrics } from './push-metrics';
import type { PushSender } from './push-sender';
import { RetryQueue, type RetryPolicy } from './retry-queue';
import { RoomMembers } from './room-members';
import { TokenPruner } from './token-pruner';

export interface PushOptions {
  collapseMs: number;
  collapseMaxWindows: number;
  collapseMaxBytes: number;
  batchTokens: number;
  concurrency: number;
  payloadMaxBytes: number;
  maxAttempts: number;
  retry: RetryPolicy;
  maxRetryTokens: number;
  membersCacheMs: number;
  /** Member pages cached (a room of up to MAX_QUERY_LIMIT members is one page). */
  membersCacheRooms: number;
  tokenMaxAgeDays: number;
  pruneEveryMs: number;
  drainTimeoutMs: number;
}

export interface PushParts {
  source: PackSource;
  deadLetters: DeadLetterSink;
  store: RoomDirectory & DeviceTokenStore;
  /** Null until presence is wired: every member but the sender then counts as offline. */
  presence: Presence | null;
  /** FCM, or DisabledSender when no credentials are configured; closed by close(). */
  sender: PushSender;
  /** Injected in tests to move time by hand. */
  clock?: () => number;
}

export interface PushService {
  readonly senderKind: string;
  /** Flush due windows and retries now (tests with an injected clock). */
  tick(): Promise<void>;
  status(): { sender: string; source: { kind: string; ready: boolean }; heldPacks: number; retryTokens: number; retryTokensPeak: number; windows: number };
  pruneNow(): Promise<number>;
  close(): Promise<void>;
}

export async function startPush(parts: PushParts, opts: PushOptions, logger: Logger, registry: Registry): Promise<PushService> {
  const log = logger.child({ component: 'push' });
  const m = pushMetrics(registry);
  const clock = parts.clock ?? Date.now;
  const deadLetters = new HoldingDeadLetters(parts.deadLetters, log, registry);
  const retries = new RetryQueue(opts.maxRetryTokens, (n) => m.retryTokens.set(n));
  const windows = new CollapseWindows(opts.collapseMs, opts.collapseMaxWindows, opts.collapseMaxBytes);
  const dispatcher = new PushDispatcher(parts.sender, parts.store, deadLetters, retries, {
    batchTokens: opts.batchTokens,
    concurrency: opts.concurrency,
    maxAttempts: opts.maxAttempts,
    retry: opts.retry,
  }, log, m, clock);
  const consumer = new PushConsumer({
    source: parts.source,
    tokens: parts.store,
    members: new RoomMembers(parts.store, opts.membersCacheMs, opts.membersCacheRooms, clock),
    presence: parts.presence,
    windows,
    retries,
    dispatcher,
  }, { payloadMaxBytes: opts.payloadMaxBytes, maxRetryTokens: opts.maxRetryTokens }, log, m, clock);
  const pruner = new TokenPruner(parts.store, opts.tokenMaxAgeDays, opts.pruneEveryMs, log, m, clock);

  if (parts.sender.kind === 'off') {
    log.warn('pushes are OFF: no GOOGLE_APPLICATION_CREDENTIALS or FCM_SERVICE_ACCOUNT_JSON; recipients are still worked out and counted in stompbox_push_would_send_total');
  }
  if (!parts.presence) log.warn('push: no presence configured; every member but the sender counts as offline');
  await consumer.start();
  pruner.start();
  log.info({ sender: parts.sender.kind, source: parts.source.kind, collapseMs: opts.collapseMs, presence: parts.presence?.kind ?? 'none' }, 'push consumer started');

  return {
    senderKind: parts.sender.kind,
    tick: () => consumer.tick(),
    status: () => ({
      sender: parts.sender.kind,
      source: { kind: parts.source.kind, ready: parts.source.isReady() },
      heldPacks: consumer.heldCount(),
      retryTokens: retries.tokens(),
      retryTokensPeak: retries.peak,
      windows: windows.size(),
    }),
    pruneNow: () => pruner.runOnce(),
    close: closeOnce(async () => {
      const deadline = Date.now() + opts.drainTimeoutMs;
      deadLetters.giveUpAt(deadline);
      await pruner.close();
      await consumer.stop(deadline);
      await parts.source.close();
      await deadLetters.close();
      await parts.sender.close();
      log.info('push consumer stopped');
    }),
  };
}
