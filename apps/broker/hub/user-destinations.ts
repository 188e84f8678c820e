/**
 * User destinations, Spring's convention: a client subscribes to `/user/queue/{name}` and
 * receives what is sent to its own user on every one of its connections. Inside the broker
 * (registry, cluster routing key, offload) such a subscription lives under
 * `/user/{userId}/queue/{name}`; MESSAGE frames show the subscriber the form it subscribed to.
 */
import { USER_ID } from '../session/authenticator';

const ALIAS_PREFIX = '/user/queue/';
const QUEUE_NAME = /^[A-Za-z0-9_\-.]{1,128}$/;

export interface UserQueue {
  userId: string;
  name: string;
}

/** `/user/queue/{name}` (what a client subscribes to): the queue name, else null. */
export function aliasQueueName(destination: string): string | null {
  if (!destination.startsWith(ALIAS_PREFIX)) return null;
  const name = destination.slice(ALIAS_PREFIX.length);
  return QUEUE_NAME.test(name) ? name : null;
}

/** The internal destination of one user's queue. */
export function userQueueDestination(userId: string, name: string): string {
  return `/user/${userId}/queue/${name}`;
}

/** `/user/{userId}/queue/{name}`: its parts, else null. */
export function parseUserQueue(destination: string): UserQueue | null {
  if (!destination.startsWith('/user/')) return null;
  const rest = destination.slice(6);
  const at = rest.indexOf('/queue/');
  if (at <= 0) return null;
  const userId = rest.slice(0, at);
  const name = rest.slice(at + 7);
  return USER_ID.test(userId) && QUEUE_NAME.test(name) ? { userId, name } : null;
}

/** Whether a destination is in the `/user/` space at all (well-formed or not). */
export function isUserSpace(destination: string): boolean {
  return destination.startsWith('/user/');
}

/** What the subscriber sees in a MESSAGE's `destination` header. */
export function shownDestination(destination: string): string {
  const q = destination.startsWith('/user/') ? parseUserQueue(destination) : null;
  return q ? ALIAS_PREFIX + q.name : destination;
}

/** Checks a queue name given over REST; null when acceptable, else the reason. */
export function queueNameProblem(name: string): string | null {
  return QUEUE_NAME.test(name) ? null : 'queue name must be 1-128 of [A-Za-z0-9_-.]';
}
