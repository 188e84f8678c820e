/**
 * Room members and names for the push consumer, read a keyset page at a time (members by user
 * id, at most `pageSize` a page) so that a room of any size reaches every member while at most
 * one page of it is in hand. Pages are cached for `ttlMs`: a busy room sends many packs a second
 * and its membership rarely changes, so one lookup serves them all. At most `maxPages` pages
 * are kept (least recently used go first): a small room takes one, a big room one per page, so
 * the cache holds at most maxPages × pageSize member ids whatever the rooms' sizes.
 */
import { MAX_QUERY_LIMIT } from '../../shared/store/message-store';
import type { RoomDirectory } from '../../shared/store/room-directory';

export interface MemberPage {
  /** User ids, ascending. */
  members: string[];
  /** Where the next page starts (after this user id), or null: this is the last page. */
  next: string | null;
}

export interface FirstPage extends MemberPage {
  name: string | null;
}

interface Entry {
  page: FirstPage;
  at: number;
}

/** Rooms looked up at once. */
const PARALLEL = 16;

export class RoomMembers {
  private readonly pages = new Map<string, Entry>();

  constructor(
    private readonly directory: RoomDirectory,
    private readonly ttlMs: number,
    private readonly maxPages: number,
    private readonly clock: () => number = Date.now,
    private readonly pageSize: number = MAX_QUERY_LIMIT,
  ) {}

  /** The first page of each room, with its name; rejects when a member list cannot be read. */
  async first(roomIds: Iterable<string>): Promise<Map<string, FirstPage>> {
    const out = new Map<string, FirstPage>();
    const missing: string[] = [];
    for (const id of roomIds) {
      const hit = this.cached(id, '');
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += PARALLEL) {
      const loaded = await Promise.all(missing.slice(i, i + PARALLEL).map((id) => this.load(id, undefined)));
      loaded.forEach((p, j) => out.set(missing[i + j], p));
    }
    return out;
  }

  /** The page of `roomId` after user `after` (a previous page's `next`). */
  async after(roomId: string, after: string): Promise<MemberPage> {
    return this.cached(roomId, after) ?? this.load(roomId, after);
  }

  private cached(roomId: string, after: string): FirstPage | null {
    const key = `${roomId}\u0000${after}`;
    const e = this.pages.get(key);
    if (!e || this.clock() - e.at >= this.ttlMs) return null;
    this.pages.delete(key);
    this.pages.set(key, e); // most recently used last
    return e.page;
  }

  private async load(roomId: string, after: string | undefined): Promise<FirstPage> {
    const [members, room] = await Promise.all([
      this.directory.listMembers(roomId, this.pageSize, after),
      // The name only decorates the title (first page only): a failed lookup shows the room id instead.
      after === undefined ? this.directory.getRoom(roomId).catch(() => null) : null,
    ]);
    const ids = members.map((m) => m.userId);
    const page: FirstPage = { members: ids, next: ids.length === this.pageSize ? ids[ids.length - 1] : null, name: room?.name ?? null };
    this.remember(`${roomId}\u0000${after ?? ''}`, page);
    return page;
  }

  private remember(key: string, page: FirstPage): void {
    if (this.ttlMs <= 0) return;
    this.pages.delete(key);
    this.pages.set(key, { page, at: this.clock() });
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as string);
  }
}
