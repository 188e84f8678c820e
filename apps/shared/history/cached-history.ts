/**
 * HistorySource over the recent-N cache, then the MessageStore (recent-cache.ts says why the
 * cache comes first). The cache answers alone when it covers the question (it has `limit`
 * messages for "last N"; its oldest message is at or before `afterId` for "after X");
 * otherwise the database answer is merged with the cached one (the database may lag the
 * cache by the stream's backlog), de-duplicated by id, oldest first.
 * A cache failure falls back to the database; a database failure is thrown to the caller
 * (the broker decides what the subscriber sees) unless the cache alone covered the question.
 */
import type { Logger } from 'pino';
import type { MessageStore } from '../store/message-store';
import type { HistoryQuery, HistorySource } from './history';
import type { OutboundMessage } from '../message';
import type { RecentCache } from './recent-cache';
import { sortUnique } from './recent-cache';

export class CachedHistory implements HistorySource {
  constructor(
    private readonly cache: RecentCache | null,
    private readonly store: Pick<MessageStore, 'lastMessages' | 'messagesAfter'> | null,
    private readonly maxLimit: number,
    private readonly logger?: Logger,
  ) {}

  async query(q: HistoryQuery): Promise<OutboundMessage[]> {
    const limit = Math.max(0, Math.min(Math.floor(q.limit), this.maxLimit));
    if (limit === 0) return [];
    let cached: OutboundMessage[] = [];
    if (this.cache && this.cache.size > 0) {
      try {
        cached = await this.cache.recent(q.roomId, this.cache.size);
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message, roomId: q.roomId }, 'recent cache unavailable; reading history from the database');
      }
    }
    if (q.kind === 'last') {
      if (cached.length >= limit) return cached.slice(cached.length - limit);
      const db = this.store ? await this.store.lastMessages(q.roomId, limit) : [];
      const all = sortUnique([...db, ...cached]);
      return all.length > limit ? all.slice(all.length - limit) : all;
    }
    const newer = cached.filter((m) => m.id > q.afterId);
    if (cached.length > 0 && cached[0].id <= q.afterId) return newer.slice(0, limit);
    const db = this.store ? await this.store.messagesAfter(q.roomId, q.afterId, limit) : [];
    return sortUnique([...db, ...newer]).slice(0, limit);
  }
}
