/**
 * One firebase-admin app per process, created at start from the configuration:
 * GOOGLE_APPLICATION_CREDENTIALS (a service-account JSON file) or FCM_SERVICE_ACCOUNT_JSON
 * (the JSON itself). Neither set: pushes are off. A credential that does not parse stops
 * start-up with a message that names the variable and never echoes its content (a private key).
 *
 * Without `httpAgent`, sendEach / sendEachForMulticast use firebase-admin's default transport:
 * HTTP/2, one connection per call carrying up to 100 requests at once. With `httpAgent` they
 * use the legacy HTTP/1.1 transport through that agent (HTTP/2 would ignore it): one request per
 * connection at a time, how tests reach a plain-HTTP mock of the FCM endpoint.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { cert, deleteApp, initializeApp, type App, type Credential } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import type { Config } from '../../shared/config';

export class PushConfigError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'PushConfigError';
  }
}

export interface FcmCredentials {
  credential: Credential;
  projectId: string;
  /** The parsed key, for send workers that make their own credential. */
  serviceAccount: Record<string, unknown>;
  /** Which variable they came from, for the start-up log. */
  source: string;
}

/** Credentials from the configuration, or null when none is configured (pushes off). */
export function fcmCredentialsFrom(c: Pick<Config, 'GOOGLE_APPLICATION_CREDENTIALS' | 'FCM_SERVICE_ACCOUNT_JSON'>): FcmCredentials | null {
  if (c.FCM_SERVICE_ACCOUNT_JSON !== undefined) return fromJson(c.FCM_SERVICE_ACCOUNT_JSON, 'FCM_SERVICE_ACCOUNT_JSON');
  const path = c.GOOGLE_APPLICATION_CREDENTIALS;
  if (path === undefined) return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PushConfigError(`GOOGLE_APPLICATION_CREDENTIALS=${JSON.stringify(path)}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return fromJson(text, `GOOGLE_APPLICATION_CREDENTIALS (${path})`);
}

function fromJson(text: string, source: string): FcmCredentials {
  let sa: Record<string, unknown>;
  try {
    sa = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new PushConfigError(`${source}: not valid JSON (a Firebase service-account key file is expected)`);
  }
  if (!sa || typeof sa.project_id !== 'string' || typeof sa.client_email !== 'string' || typeof sa.private_key !== 'string') {
    throw new PushConfigError(`${source}: a service-account key needs project_id, client_email and private_key`);
  }
  try {
    return { credential: cert(sa as never), projectId: sa.project_id, serviceAccount: sa, source };
  } catch (err) {
    throw new PushConfigError(`${source}: firebase-admin refused the key (${(err as { code?: string }).code ?? 'invalid'})`);
  }
}

export interface MessagingOptions {
  credential: Credential;
  projectId: string;
  /** Unique per process (tests create several). */
  appName?: string;
  httpAgent?: Agent;
  /** Default: true exactly when `httpAgent` is given. */
  legacyHttpTransport?: boolean;
}

export interface FcmApp {
  app: App;
  messaging: Messaging;
  close(): Promise<void>;
}

export function createFcmApp(o: MessagingOptions): FcmApp {
  const app = initializeApp({ credential: o.credential, projectId: o.projectId, httpAgent: o.httpAgent }, o.appName ?? 'stompbox-push');
  const messaging = getMessaging(app);
  if (o.legacyHttpTransport ?? o.httpAgent !== undefined) messaging.enableLegacyHttpTransport();
  return { app, messaging, close: () => deleteApp(app) };
}
