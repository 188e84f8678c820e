/** Web origins as configuration names them (ALLOWED_ORIGINS) and browsers send them (`Origin`). */

/** `https://App.example:443/` → `https://app.example`; null when it is not a usable origin. */
export function normaliseOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin.toLowerCase();
  } catch {
    return null;
  }
}

/** ALLOWED_ORIGINS (comma-separated) → the set of normalised origins; throws on a bad entry. */
export function parseAllowedOrigins(list: string): Set<string> {
  const out = new Set<string>();
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const o = normaliseOrigin(entry);
    if (!o) throw new Error(`ALLOWED_ORIGINS: "${entry}" is not an http(s) origin`);
    out.add(o);
  }
  return out;
}
