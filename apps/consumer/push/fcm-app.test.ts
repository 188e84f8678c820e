/** Credentials from the configuration: none (pushes off), bad ones refused without echoing the secret. */
import { describe, expect, it } from 'vitest';
import { fcmCredentialsFrom, PushConfigError } from './fcm-app';

describe('FCM credentials', () => {
  it('are absent (pushes off) when neither variable is set', () => {
    expect(fcmCredentialsFrom({ GOOGLE_APPLICATION_CREDENTIALS: undefined, FCM_SERVICE_ACCOUNT_JSON: undefined })).toBeNull();
  });

  it('refuse a value that is not a service-account key, naming the variable and never echoing the value', () => {
    const secret = '{"private_key":"-----BEGIN PRIVATE KEY-----SECRET"';
    const err = (() => {
      try {
        fcmCredentialsFrom({ GOOGLE_APPLICATION_CREDENTIALS: undefined, FCM_SERVICE_ACCOUNT_JSON: secret });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(PushConfigError);
    expect(err!.message).toMatch(/FCM_SERVICE_ACCOUNT_JSON: not valid JSON/);
    expect(err!.message).not.toContain('SECRET');
    expect(() => fcmCredentialsFrom({ GOOGLE_APPLICATION_CREDENTIALS: undefined, FCM_SERVICE_ACCOUNT_JSON: '{"project_id":"p"}' })).toThrow(/needs project_id, client_email and private_key/);
    expect(() => fcmCredentialsFrom({ GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json', FCM_SERVICE_ACCOUNT_JSON: undefined })).toThrow(/cannot read the file \(ENOENT\)/);
  });
});
