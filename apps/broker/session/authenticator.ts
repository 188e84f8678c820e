/**
 * Who is connecting. With no authentication configured the broker runs in development
 * mode: the sender is the CONNECT `login`, or "anonymous", and the WebSocket endpoint
 * admits only loopback clients (transport/ws-endpoint.ts).
 */
import type { Headers } from '../../shared/stomp/frame';
import { StompProtocolError } from '../../shared/stomp/errors';
import type { Principal } from '../hub/access-policy';


export interface Authenticator {
  readonly mode: 'development' | 'jwt';
  /**
   * Resolve the CONNECT frame's credentials; throws (or rejects with)
   * StompProtocolError('unauthenticated'). `upgradeToken` is the bearer token the WebSocket
   * upgrade request carried, if any (Handshake.token).
   */
  authenticate(headers: Headers, upgradeToken?: string): Promise<Principal> | Principal;
}

/** What a user id may look like, whichever way it was obtained (login or token subject). */
export const USER_ID = /^[A-Za-z0-9_\-.@]{1,128}$/;

export const developmentAuthenticator: Authenticator = {
  mode: 'development',
  authenticate(headers) {
    const login = headers.login;
    if (login === undefined || login === '') return { userId: 'anonymous' };
    if (!USER_ID.test(login)) {
      throw new StompProtocolError('unauthenticated', `login must be 1-128 of [A-Za-z0-9_-.@], got "${login.slice(0, 40)}"`);
    }
    return { userId: login };
  },
};
