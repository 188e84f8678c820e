/** Zod schemas the REST routes share: ids in paths and bodies, page sizes. */
import { z } from 'zod';
import { USER_ID } from '../session/authenticator';

/** Ids (room, user, token) as the store accepts them: non-empty, bounded, without NUL. */
export function idSchema(description: string, maxLength = 256) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL')
    .describe(description);
}

/** `?limit=` as an integer 1..max (query strings are text, hence the coercion). */
export function limitSchema(max: number, fallback: number, description: string) {
  const error = `must be an integer between 1 and ${max}`;
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(max, { error }).default(fallback).describe(description);
}

/** User ids as tokens and CONNECT logins carry them: a member who could never connect is refused. */
export function userIdSchema(description: string) {
  return z.string().regex(USER_ID, 'must be 1-128 of [A-Za-z0-9_-.@]').describe(description);
}

/** A new room's id: what a room destination can carry (shared/rooms.ts), so clients can reach it. */
export const NewRoomIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_\-.~]{1,128}$/, 'must be 1-128 of [A-Za-z0-9_-.~]')
  .describe('Room id; omitted: one is made up');

/** A room as the API shows it. */
export const RoomSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable().describe('Null for rooms made on first use (development mode)'),
    ownerId: z.string().nullable().describe('Who may manage it besides an admin; null for rooms made on first use'),
    createdAt: z.string().describe('ISO 8601'),
  })
  .describe('A room');

export function roomToJson(r: { id: string; name: string | null; ownerId: string | null; createdAt: Date }): z.infer<typeof RoomSchema> {
  return { id: r.id, name: r.name, ownerId: r.ownerId, createdAt: r.createdAt.toISOString() };
}

/** An empty 204 answer. */
export const NoContent = z.undefined().describe('Done');
