/**
 * Sums a batch of counted messages per bucket (minute and scope) before it reaches a store,
 * so a word said in 100 messages of a batch costs one increment, not 100.
 */
import { MAX_WINDOW_MINUTES, minuteOf, type CountedMessage } from './trending-store';

export interface BucketTally {
  minute: number;
  roomId: string | null;
  counts: Map<string, number>;
}

export interface Tallied {
  buckets: BucketTally[];
  /** Messages from before the oldest minute a query can still read. */
  tooOld: number;
}

/**
 * Per message: +1 per word in its room's minute and in the overall minute. A message stamped
 * later than now (another node's clock) counts in the current minute.
 */
export function tallyByBucket(messages: readonly CountedMessage[], nowMs: number): Tallied {
  const current = minuteOf(nowMs);
  const oldest = current - MAX_WINDOW_MINUTES + 1;
  const byKey = new Map<string, BucketTally>();
  const bucket = (minute: number, roomId: string | null): BucketTally => {
    const key = roomId === null ? `${minute}` : `${minute}:${roomId}`;
    let b = byKey.get(key);
    if (!b) byKey.set(key, (b = { minute, roomId, counts: new Map() }));
    return b;
  };
  let tooOld = 0;
  for (const m of messages) {
    if (m.words.length === 0) continue;
    const minute = Math.min(minuteOf(m.sentAt), current);
    if (minute < oldest) {
      tooOld++;
      continue;
    }
    const room = bucket(minute, m.roomId).counts;
    const all = bucket(minute, null).counts;
    for (const w of m.words) {
      room.set(w, (room.get(w) ?? 0) + 1);
      all.set(w, (all.get(w) ?? 0) + 1);
    }
  }
  return { buckets: [...byKey.values()], tooOld };
}
