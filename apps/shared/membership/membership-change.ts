/** Well-formed membership changes, and their bounded JSON form on the wire. */
import type { MembershipChange } from './membership-events';

/** Longest room or user id accepted, in UTF-16 units. */
export const MAX_ID_LENGTH = 512;
/** Longest payload read from the channel; anything longer is not ours. */
export const MAX_PAYLOAD_BYTES = 4 * MAX_ID_LENGTH + 256;

const okId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;

/** Throws a TypeError naming what is wrong. */
export function checkChange(c: MembershipChange): MembershipChange {
  if (!okId(c?.roomId)) throw new TypeError(`membership change: roomId must be 1..${MAX_ID_LENGTH} characters`);
  if (c.userId !== null && !okId(c.userId)) throw new TypeError(`membership change: userId must be null or 1..${MAX_ID_LENGTH} characters`);
  return { roomId: c.roomId, userId: c.userId };
}

/** `origin` names the publishing instance, so it can skip its own notice (already delivered). */
export function encodeChange(c: MembershipChange, origin: string): string {
  return JSON.stringify({ v: 1, o: origin, r: c.roomId, u: c.userId });
}

/** Null for anything that is not a well-formed notice. */
export function decodeChange(raw: Buffer): { origin: string; change: MembershipChange } | null {
  if (raw.length > MAX_PAYLOAD_BYTES) return null;
  let m: unknown;
  try {
    m = JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const { v, o, r, u } = m as Record<string, unknown>;
  if (v !== 1 || !okId(o) || !okId(r) || (u !== null && !okId(u))) return null;
  return { origin: o, change: { roomId: r, userId: u } };
}
