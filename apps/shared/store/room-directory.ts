/** Rooms and their members: what access checks, first-use creation and the REST API need. */

export interface Member {
  userId: string;
  joinedAt: Date;
}

/** Longest room name, in UTF-16 code units. */
export const MAX_ROOM_NAME = 200;

/** A room as the REST API shows it. */
export interface Room {
  id: string;
  /** Null for rooms made on first use (development mode). */
  name: string | null;
  /** Who may manage it besides an admin; null for rooms made on first use. */
  ownerId: string | null;
  createdAt: Date;
}

export interface MemberPair {
  roomId: string;
  userId: string;
}

export interface RoomDirectory {
  /** Create the room and the user if missing (development mode). Idempotent. */
  ensureRoomAndUser(roomId: string, userId: string): Promise<void>;
  ensureUser(userId: string): Promise<void>;
  ensureRoom(roomId: string): Promise<void>;
  roomExists(roomId: string): Promise<boolean>;
  /** Add a member (room and user created if missing). Returns false when already a member. */
  addMember(roomId: string, userId: string): Promise<boolean>;
  /**
   * addMember for many pairs at once (first-use creation in bulk): rooms, users and memberships
   * missing are created with multi-row `INSERT ... ON CONFLICT DO NOTHING`, one statement per
   * chunk of up to INSERT_CHUNK_ROWS pairs; repeated pairs count once. Returns the memberships
   * newly added. Any invalid id refuses the whole call (InvalidArgumentError) before the database.
   */
  addMembers(pairs: readonly MemberPair[]): Promise<number>;
  /** Returns false when the user was not a member. */
  removeMember(roomId: string, userId: string): Promise<boolean>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /**
   * Members ordered by userId, at most `limit` (default and cap MAX_QUERY_LIMIT), only those
   * after `afterUserId` when given: a keyset page. The next page starts after the last userId
   * of a full page; a shorter page is the last.
   */
  listMembers(roomId: string, limit?: number, afterUserId?: string): Promise<Member[]>;
  /**
   * Create a room owned by `ownerId`, who becomes its first member (user created if missing),
   * in one transaction. Returns null, changing nothing, when a room with this id exists.
   */
  createRoom(roomId: string, name: string, ownerId: string): Promise<Room | null>;
  getRoom(roomId: string): Promise<Room | null>;
  /** Rooms `userId` is a member of, ordered by id, ids after `afterRoomId` only; at most `limit` (clamped to MAX_QUERY_LIMIT). */
  listRoomsOf(userId: string, limit: number, afterRoomId?: string): Promise<Room[]>;
  /**
   * Delete a room and its memberships. Its stored messages stay (the message log is append-only
   * and has no foreign key to rooms). Returns false when there was no such room.
   */
  deleteRoom(roomId: string): Promise<boolean>;
}
