/**
 * The push consumer from the configuration: FCM credentials decide the sender (none: pushes
 * off, counted), the rest comes from the caller (queue, dead letters, store, presence).
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../../shared/config';
import { createFcmApp, fcmCredentialsFrom, type MessagingOptions } from './fcm-app';
import { startPush, type PushParts, type PushService } from './push';
import { pushMetrics } from './push-metrics';
import { pushFrom } from './push-options';
import { DisabledSender, FcmSender, type PushSender } from './push-sender';
import { WorkerPoolSender } from './push-send-workers';

/**
 * FCM through firebase-admin when credentials are configured, else the counting no-op.
 * `sendWorkers` > 0 sends from that many worker threads (firebase-admin's per-token CPU cost
 * then spreads over cores); 0 sends from this thread.
 */
export async function openPushSender(
  c: Config,
  logger: Logger,
  registry: Registry,
  transport: Pick<MessagingOptions, 'httpAgent' | 'legacyHttpTransport'> = {},
  sendWorkers = 0,
): Promise<PushSender> {
  const m = pushMetrics(registry);
  const creds = fcmCredentialsFrom(c);
  if (!creds) return new DisabledSender(m);
  logger.info({ projectId: creds.projectId, credentials: creds.source, sendWorkers }, 'pushes on: FCM through firebase-admin');
  if (sendWorkers > 0) return WorkerPoolSender.start(sendWorkers, { projectId: creds.projectId, appName: 'stompbox-push', serviceAccount: creds.serviceAccount }, m, logger);
  const fcm = createFcmApp({ credential: creds.credential, projectId: creds.projectId, ...transport });
  return new FcmSender(fcm.messaging, m, fcm.close);
}

export async function startPushFromConfig(
  c: Config,
  parts: Omit<PushParts, 'sender'> & { sender?: PushSender },
  logger: Logger,
  registry: Registry,
): Promise<PushService> {
  const sender = parts.sender ?? (await openPushSender(c, logger, registry, {}, c.PUSH_SEND_WORKERS));
  return startPush({ ...parts, sender }, pushFrom(c), logger, registry);
}
