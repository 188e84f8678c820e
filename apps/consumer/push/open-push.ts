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

/** FCM through firebase-admin when credentials are configured, else the counting no-op. */
export function openPushSender(c: Config, logger: Logger, registry: Registry, transport: Pick<MessagingOptions, 'httpAgent' | 'legacyHttpTransport'> = {}): PushSender {
  const m = pushMetrics(registry);
  const creds = fcmCredentialsFrom(c);
  if (!creds) return new DisabledSender(m);
  const fcm = createFcmApp({ credential: creds.credential, projectId: creds.projectId, ...transport });
  logger.info({ projectId: creds.projectId, credentials: creds.source }, 'pushes on: FCM through firebase-admin');
  return new FcmSender(fcm.messaging, m, fcm.close);
}

export async function startPushFromConfig(
  c: Config,
  parts: Omit<PushParts, 'sender'> & { sender?: PushSender },
  logger: Logger,
  registry: Registry,
): Promise<PushService> {
  const sender = parts.sender ?? openPushSender(c, logger, registry);
  return startPush({ ...parts, sender }, pushFrom(c), logger, registry);
}
