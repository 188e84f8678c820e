/**
 * What FCM's answer for one token means for us. firebase-admin reports a failed send per token
 * (a batch "succeeds" with failures inside), as a FirebaseMessagingError whose `code` maps the
 * FCM v1 error code: UNREGISTERED → registration-token-not-registered, QUOTA_EXCEEDED →
 * message-rate-exceeded, SENDER_ID_MISMATCH → mismatched-credential, and so on.
 */

export type Outcome =
  | { kind: 'sent' }
  /** The token is dead: delete it. */
  | { kind: 'drop-token'; reason: 'unregistered' | 'invalid-token' }
  /** FCM refused the payload itself (too big, a reserved key): the token is fine. */
  | { kind: 'bad-payload'; reason: 'invalid-payload'; detail: string }
  /** Our configuration is wrong (credentials of another project, APNs keys): keep the token, say so loudly. */
  | { kind: 'config'; reason: 'sender-id-mismatch' | 'third-party-auth'; detail: string }
  /** Worth trying again later; `quota` asks for a long wait. */
  | { kind: 'retry'; reason: RetryReason; quota: boolean; detail: string }
  | { kind: 'failed'; reason: string; detail: string };

export type RetryReason = 'unavailable' | 'internal' | 'quota-exceeded' | 'network' | 'auth' | 'unknown';

const SENT: Outcome = { kind: 'sent' };

/**
 * INVALID_ARGUMENT covers both a malformed token and a malformed message; only FCM's text
 * tells them apart ("The registration token is not a valid FCM registration token" vs. a
 * message about size or keys).
 */
const ABOUT_TOKEN = /registration[ _-]?token|message\.token|\btoken\b.*\b(invalid|not valid)\b/i;

/** Classify one SendResponse (`error` undefined: delivered). */
export function outcomeOf(error: unknown): Outcome {
  if (error === undefined || error === null) return SENT;
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'unknown';
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'messaging/registration-token-not-registered':
      return { kind: 'drop-token', reason: 'unregistered' };
    case 'messaging/invalid-registration-token':
      return { kind: 'drop-token', reason: 'invalid-token' };
    case 'messaging/invalid-argument':
      return ABOUT_TOKEN.test(detail) ? { kind: 'drop-token', reason: 'invalid-token' } : { kind: 'bad-payload', reason: 'invalid-payload', detail };
    case 'messaging/invalid-payload':
    case 'messaging/payload-size-limit-exceeded':
    case 'messaging/invalid-data-payload-key':
    case 'messaging/invalid-options':
      return { kind: 'bad-payload', reason: 'invalid-payload', detail };
    case 'messaging/mismatched-credential':
      return { kind: 'config', reason: 'sender-id-mismatch', detail };
    case 'messaging/third-party-auth-error':
      return { kind: 'config', reason: 'third-party-auth', detail };
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/topics-message-rate-exceeded':
      return { kind: 'retry', reason: 'quota-exceeded', quota: true, detail };
    case 'messaging/server-unavailable':
      return { kind: 'retry', reason: 'unavailable', quota: false, detail };
    case 'messaging/internal-error':
      return { kind: 'retry', reason: 'internal', quota: false, detail };
    case 'app/network-error':
    case 'app/network-timeout':
      return { kind: 'retry', reason: 'network', quota: false, detail };
    case 'messaging/authentication-error':
    case 'app/invalid-credential':
      // An access token that could not be had is usually a passing outage of Google's OAuth.
      return { kind: 'retry', reason: 'auth', quota: false, detail };
    case 'messaging/unknown-error':
      return { kind: 'retry', reason: 'unknown', quota: false, detail };
    default:
      return { kind: 'failed', reason: code.replace(/^messaging\//, ''), detail };
  }
}
