/** Push device tokens per user: registered over REST, read and pruned by the push sender. */

export type DevicePlatform = 'android' | 'ios' | 'web';

export interface DeviceToken {
  userId: string;
  token: string;
  platform: DevicePlatform;
  lastSeenAt: Date;
}

export interface DeviceTokenStore {
  /** Register or refresh a push token (user created if missing; a token moves to its latest user). */
  upsertDeviceToken(userId: string, token: string, platform: DevicePlatform): Promise<void>;
  /** Tokens of these users (for FCM pushes to offline members). */
  listDeviceTokens(userIds: string[]): Promise<DeviceToken[]>;
  /** Delete tokens (FCM said unregistered). Returns how many existed. */
  deleteDeviceTokens(tokens: string[]): Promise<number>;
}
