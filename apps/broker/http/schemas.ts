/** Zod schemas the REST routes share: ids in paths and bodies, page sizes. */
import { z } from 'zod';

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
