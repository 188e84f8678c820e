/**
 * Room members and names for the push consumer, cached for `ttlMs`: a busy room sends many
 * packs a second and its membership rarely changes, so one lookup serves them all. At most
 * `maxRooms` rooms are kept (least recently used go first). A member list holds at most the
 * store's page (MAX_QUERY_LIMIT members, by user id).
 */
import type { RoomDirectory } from '../../shared/store/room-directory';

export interface RoomInfo {
  members: string[];
  name: string | null;
}

interface Entry extends RoomInfo {
  at: number;
}

/** Rooms looked up at once. */
const PARALLEL = 16;

export class RoomMembers {
  private readonly rooms = new Map<string, Entry>();

  constructor(
    private readonly directory: RoomDirectory,
    private readonly ttlMs: number,
    private readonly maxRooms: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Members and name of each room; rejects when a member list cannot be read. */
  async get(roomIds: Iterable<string>): Promise<Map<string, RoomInfo>> {
    const now = this.clock();
    const out = new Map<string, RoomInfo>();
    const missing: string[] = [];
    for (const id of roomIds) {
      const e = this.rooms.get(id);
      if (e && now - e.at < this.ttlMs) {
        this.rooms.delete(id);
        this.rooms.set(id, e); // most recently used last
        out.set(id, e);
      } else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += PARALLEL) {
      const loaded = await Promise.all(missing.slice(i, i + PARALLEL).map((id) => this.load(id)));
      loaded.forEach((e, j) => {
        out.set(missing[i + j], e);
        this.remember(missing[i + j], e);
      });
    }
    return out;
  }

  private async load(roomId: string): Promise<Entry> {
    const [members, room] = await Promise.all([
      this.directory.listMembers(roomId),
      // The name only decorates the title: a failed lookup shows the room id instead.
      this.directory.getRoom(roomId).catch(() => null),
    ]);
    return { members: members.map((m) => m.userId), name: room?.name ?? null, at: this.clock() };
  }

  private remember(id: string, e: Entry): void {
    if (this.ttlMs <= 0) return;
    this.rooms.delete(id);
    this.rooms.set(id, e);
    while (this.rooms.size > this.maxRooms) this.rooms.delete(this.rooms.keys().next().value as string);
  }
}
