/**
 * Where the live ticker sends a room's trending words. The process that holds the subscribers
 * provides it: in the embedded default the broker in the same process delivers to its local
 * subscribers of the room's `.trending` destination.
 */
import type { TrendingResult, TrendingWord } from '../../shared/insights/trending-store';

/** One room's trending words: the JSON body of a live snapshot, the same shape as the REST answer. */
export interface TrendingSnapshot {
  roomId: string;
  windowMinutes: number;
  from: string;
  to: string;
  words: TrendingWord[];
}

export interface TrendingPublisher {
  publish(snapshot: TrendingSnapshot): void;
}

export function snapshotOf(roomId: string, windowMinutes: number, r: TrendingResult): TrendingSnapshot {
  return { roomId, windowMinutes, from: new Date(r.fromMs).toISOString(), to: new Date(r.toMs).toISOString(), words: r.words };
}
