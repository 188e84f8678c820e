/**
 * Who a session acts for, and the hub's access hook. A policy answers from what it has cached
 * synchronously (return nothing: allowed; throw: denied) and returns a promise only when it must
 * look something up (a first membership query): the SEND path stays synchronous once cached.
 */
export interface Principal {
  userId: string;
  /** The token's `roles` claim includes "admin": may manage any room and read or write it. */
  admin?: boolean;
  /**
   * Epoch milliseconds at which the connection must end (a JWT's `exp` plus
   * JWT_EXPIRY_GRACE_S); absent: never. The session closes it with ERROR `token-expired`.
   */
  expiresAt?: number;
}

export interface AccessPolicy {
  /**
   * May `who` subscribe to `destination`? `roomId` is the room the destination names (null
   * for plain pub/sub). Throw a StompProtocolError('forbidden') to deny.
   */
  checkSubscribe(who: Principal, destination: string, roomId: string | null): void | Promise<void>;
  /** May `who` send to `destination`? Same contract as checkSubscribe. */
  checkPublish(who: Principal, destination: string, roomId: string | null): void | Promise<void>;
}
