/**
 * History on SUBSCRIBE (apps/README.md "Guarantees": history without gap or duplicate). The
 * broker asks a HistorySource for a room's past messages; CachedHistory reads the recent-N
 * cache and falls back to the MessageStore (Postgres or PGlite). The broker merges the answer
 * with its own in-memory ring of recently routed messages, so messages still in flight to the
 * database are not missed, then de-duplicates by id.
 */
import type { OutboundMessage } from '../message';

export type HistoryQuery =
  | { kind: 'last'; roomId: string; limit: number }
  /** Everything after `afterId` (exclusive), oldest first, at most `limit`. */
  | { kind: 'after'; roomId: string; afterId: string; limit: number };

export interface HistorySource {
  /** Messages oldest first (ascending id). */
  query(q: HistoryQuery): Promise<OutboundMessage[]>;
}

/** A source with nothing in it: used when persistence is not wired. */
export const emptyHistory: HistorySource = { query: async () => [] };
