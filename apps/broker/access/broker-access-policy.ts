/**
 * Who may subscribe and send where, on the STOMP side:
 * - rooms: members only (answers from the MembershipCache), or open;
 * - user queues `/user/{userId}/queue/{name}`: a user subscribes to its own only; sending to
 *   another user's queue is off unless USER_SEND allows it;
 * - any other destination (plain pub/sub): open to every authenticated user, or closed.
 * Admins (`roles` includes "admin") pass every rule but the own-queue one for subscriptions.
 * Synchronous whenever the answer is cached, so the SEND path does not wait (AccessPolicy).
 */
import { StompProtocolError } from '../../shared/stomp/errors';
import type { AccessPolicy, Principal } from '../hub/access-policy';
import { aliasQueueName, isUserSpace, parseUserQueue } from '../hub/user-destinations';
import type { MembershipCache } from './membership-cache';

/**
 * Channels the server publishes beside a room (`<room destination>.trending`, `.presence`): the
 * room template reads them as a room named `<id>.trending`; they are read like room `<id>`
 * and never written by clients.
 */
const SERVER_CHANNELS = ['.trending', '.presence'];

function serverChannelRoom(roomId: string): string | null {
  for (const suffix of SERVER_CHANNELS) {
    if (roomId.length > suffix.length && roomId.endsWith(suffix)) return roomId.slice(0, -suffix.length);
  }
  return null;
}

export interface AccessRules {
  rooms: 'members' | 'open';
  pubsub: 'open' | 'closed';
  userSend: 'off' | 'any';
}

export class BrokerAccessPolicy implements AccessPolicy {
  /** Refusals by kind, for metrics. */
  readonly denied = { room: 0, user: 0, pubsub: 0 };

  constructor(
    private readonly rules: AccessRules,
    private readonly members: MembershipCache | null,
  ) {
    if (rules.rooms === 'members' && !members) throw new Error('room access by membership needs a membership cache');
  }

  checkSubscribe(who: Principal, destination: string, roomId: string | null): void | Promise<void> {
    if (roomId !== null) return this.room(who, destination, serverChannelRoom(roomId) ?? roomId);
    if (isUserSpace(destination)) {
      const q = parseUserQueue(destination);
      if (!q) throw badUserDestination(destination);
      if (q.userId !== who.userId) {
        this.denied.user++;
        throw forbidden(destination, 'subscribe to /user/queue/{name} to receive your own messages');
      }
      return;
    }
    return this.pubsub(who, destination);
  }

  checkPublish(who: Principal, destination: string, roomId: string | null): void | Promise<void> {
    if (roomId !== null && serverChannelRoom(roomId) !== null) {
      throw forbidden(destination, 'the server publishes here; clients only subscribe');
    }
    if (roomId !== null) return this.room(who, destination, roomId);
    if (isUserSpace(destination)) {
      if (aliasQueueName(destination) !== null) {
        throw new StompProtocolError('bad-destination', `"${destination}" is where a user receives; send to /user/{userId}/queue/{name}`);
      }
      const q = parseUserQueue(destination);
      if (!q) throw badUserDestination(destination);
      if (q.userId !== who.userId && this.rules.userSend === 'off' && !who.admin) {
        this.denied.user++;
        throw forbidden(destination, 'sending to another user is not enabled (USER_SEND)');
      }
      return;
    }
    return this.pubsub(who, destination);
  }

  private room(who: Principal, destination: string, roomId: string): void | Promise<void> {
    if (this.rules.rooms === 'open' || who.admin) return;
    const answer = this.members!.isMember(roomId, who.userId);
    if (answer === true) return;
    if (answer === false) return this.refuseRoom(destination, roomId);
    return answer.then(
      (member) => {
        if (!member) this.refuseRoom(destination, roomId);
      },
      (err: unknown) => {
        throw new StompProtocolError('access-unavailable', `membership of room "${roomId}" could not be checked: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  private refuseRoom(destination: string, roomId: string): never {
    this.denied.room++;
    throw forbidden(destination, `not a member of room "${roomId}"`);
  }

  private pubsub(who: Principal, destination: string): void {
    if (this.rules.pubsub === 'closed' && !who.admin) {
      this.denied.pubsub++;
      throw forbidden(destination, 'plain pub/sub destinations are closed (PUBSUB_ACCESS)');
    }
  }
}

function forbidden(destination: string, why: string): StompProtocolError {
  return new StompProtocolError('forbidden', `access to "${destination}" denied: ${why}`);
}

function badUserDestination(destination: string): StompProtocolError {
  return new StompProtocolError('bad-destination', `"${destination}" is not a user destination: use /user/queue/{name} or /user/{userId}/queue/{name}`);
}
