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
  /**
   * Delete one token only if it belongs to `userId` (a user unregistering a device cannot
   * remove another user's token). Returns false when it did not exist or belongs to another user.
   */
  deleteDeviceTokenOf(userId: string, token: string): Promise<boolean>;
  /**
   * Delete at most `limit` tokens (oldest first) last seen before `notSeenSince`; returns how
   * many. Bounded per call so one statement never locks a whole large table: call again
   * while it returns `limit`.
   */
  pruneDeviceTokens(notSeenSince: Date, limit?: number): Promise<number>;
}

/** Tokens one pruneDeviceTokens call deletes at most, by default. */
export const PRUNE_CHUNK_TOKENS = 1_000;
