/**
 * Words too common to trend, shipped as data (stop-words/*.json, one list per language) and
 * extended by configuration. Lists are lower-case; Korean entries are checked after the
 * particle is stripped (그리고, 우리, 있어 …).
 */
import en from './stop-words/en.json';
import ko from './stop-words/ko.json';

export const STOP_WORD_LISTS: Record<string, readonly string[]> = { en, ko };

/** The shipped lists plus `extra` (comma-separated, as in INSIGHTS_EXTRA_STOP_WORDS). */
export function stopWords(extra = '', languages: readonly string[] = Object.keys(STOP_WORD_LISTS)): ReadonlySet<string> {
  const set = new Set<string>();
  for (const lang of languages) for (const w of STOP_WORD_LISTS[lang] ?? []) set.add(w);
  for (const w of extra.split(',')) {
    const t = w.trim().toLowerCase();
    if (t) set.add(t);
  }
  return set;
}
