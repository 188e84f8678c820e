/**
 * History on SUBSCRIBE (apps/README.md "Guarantees"): the persistent source
 * (Redis recent-N cache, then Postgres) merged with this node's recent ring, de-duplicated
 * by message id, ordered by id (ids sort by time), cut to the request's limit.
 */
import type { HistoryQuery, HistorySource } from './history';
import type { OutboundMessage } from '../message';

export async function loadHistory(
  source: HistorySource,
  q: HistoryQuery,
  ringSnapshot: OutboundMessage[],
): Promise<OutboundMessage[]> {
  const stored = await source.query(q);
  const byId = new Map<string, OutboundMessage>();
  for (const m of stored) byId.set(m.id, m);
  for (const m of ringSnapshot) {
    if (q.kind === 'after' && m.id <= q.afterId) continue;
    byId.set(m.id, m);
  }
  const all = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (all.length <= q.limit) return all;
  // 'last': the newest N. 'after': the oldest N after the cursor (the client pages on).
  return q.kind === 'last' ? all.slice(all.length - q.limit) : all.slice(0, q.limit);
}
