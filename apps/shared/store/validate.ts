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
  if (typeof v !== 'string' || v.length === 0) throw new InvalidArgumentError(`${name} must be a non-empty string`);
  if (v.length > maxLength) throw new InvalidArgumentError(`${name} is longer than ${maxLength} characters`);
  if (v.includes('\u0000')) throw new InvalidArgumentError(`${name} contains a NUL character`);
}

/** Integer 0..MAX_QUERY_LIMIT (larger values are clamped). */
export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError(`limit must be a non-negative integer, got ${String(limit)}`);
  }
  return Math.min(limit, MAX_QUERY_LIMIT);
}

const PLATFORMS: readonly DevicePlatform[] = ['android', 'ios', 'web'];

export function checkPlatform(p: unknown): asserts p is DevicePlatform {
  if (!PLATFORMS.includes(p as DevicePlatform)) throw new InvalidArgumentError(`platform must be one of ${PLATFORMS.join(', ')}`);
}
