/** Argument checks shared by every MessageStore: bad input gets a clear error, never a DB round trip. */
import { MAX_QUERY_LIMIT } from './message-store';
import type { DevicePlatform } from './device-token-store';

export class InvalidArgumentError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InvalidArgumentError';
  }
}

/** Ids (room, user, message, token) are non-empty strings without NUL, bounded in length. */
export function checkId(name: string, v: unknown, maxLength = 256): asserts v is string {
  const problem = idProblem(name, v, maxLength);
  if (problem) throw new InvalidArgumentError(problem);
}

/** What checkId would refuse, or null: for callers that skip a bad id instead of failing. */
export function idProblem(name: string, v: unknown, maxLength = 256): string | null {
  if (typeof v !== 'string' || v.length === 0) return `${name} must be a non-empty string`;
  if (v.length > maxLength) return `${name} is longer than ${maxLength} characters`;
  if (v.includes('\u0000')) return `${name} contains a NUL character`;
  return null;
}

/** Integer 0..MAX_QUERY_LIMIT (larger values are clamped). */
export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  return Math.min(limit, MAX_QUERY_LIMIT);
}

/** A page of a room's messages: the room, the cursor (none for the newest) and the limit; returns the rows to take. */
export function checkPage(roomId: unknown, cursorName: string, cursor: unknown, limit: unknown): number {
  checkId('roomId', roomId);
  if (cursor !== null) checkId(cursorName, cursor);
  return checkLimit(limit);
}

const PLATFORMS: readonly DevicePlatform[] = ['android', 'ios', 'web'];

export function checkPlatform(p: unknown): asserts p is DevicePlatform {
  if (!PLATFORMS.includes(p as DevicePlatform)) throw new InvalidArgumentError(`platform must be one of ${PLATFORMS.join(', ')}`);
}
