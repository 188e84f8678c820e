/**
 * The bulk first-use statement (RoomDirectory.addMembers): rooms, users and memberships of many
 * (room, user) pairs in one round trip. Data-modifying CTEs all run within the one statement,
 * and the memberships' foreign keys are checked at its end, so rows the CTEs insert satisfy
 * them. Keys go in sorted order so two consumers inserting overlapping pairs take row locks in
 * the same order (ON CONFLICT waits on an uncommitted duplicate) and cannot deadlock each other.
 * Arrays travel as text[], like the message insert (message-rows.ts), for both driver adapters.
 */
import type { MemberPair } from './room-directory';

export const ADD_MEMBERS_SQL = `WITH pairs AS (
  SELECT DISTINCT p.room_id, p.user_id FROM unnest($1::text[], $2::text[]) AS p(room_id, user_id)
), new_rooms AS (
  INSERT INTO "rooms" ("id") SELECT DISTINCT room_id FROM pairs ORDER BY 1 ON CONFLICT DO NOTHING
), new_users AS (
  INSERT INTO "users" ("id") SELECT DISTINCT user_id FROM pairs ORDER BY 1 ON CONFLICT DO NOTHING
)
INSERT INTO "memberships" ("room_id", "user_id") SELECT room_id, user_id FROM pairs ORDER BY 1, 2 ON CONFLICT DO NOTHING`;

export function memberParams(pairs: readonly MemberPair[]): [string[], string[]] {
  return [pairs.map((p) => p.roomId), pairs.map((p) => p.userId)];
}
