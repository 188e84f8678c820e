/**
 * Strips a common Korean particle (조사) from the end of a word: 서울에서 → 서울, 커피를 → 커피.
 * Without a morphological analyser this is a heuristic, kept conservative:
 * - a particle whose form depends on the final consonant (받침) of the word before it is
 *   stripped only when that consonant agrees (을 after a consonant, 를 after a vowel), so
 *   사과 (apple) keeps its 과 and 가을 (autumn) its 을;
 * - a one-syllable particle that attaches to anything (의, 에, 도, 만, 요) needs at least two
 *   syllables left, so 회의 stays whole;
 * - a few frequent nouns that end like a particle are listed and never cut.
 */

type Needs = 'consonant' | 'vowel' | 'vowel-or-rieul' | 'any';

/** Longest first: 에서는 before 에서 before 에. */
const PARTICLES: Array<[string, Needs]> = (
  [
    ['에게서', 'any'], ['한테서', 'any'], ['에서는', 'any'], ['으로는', 'consonant'], ['이라도', 'consonant'],
    ['에서', 'any'], ['에게', 'any'], ['한테', 'any'], ['께서', 'any'], ['까지', 'any'], ['부터', 'any'],
    ['보다', 'any'], ['처럼', 'any'], ['만큼', 'any'], ['마다', 'any'], ['조차', 'any'], ['밖에', 'any'],
    ['에는', 'any'], ['에도', 'any'], ['하고', 'any'], ['으로', 'consonant'], ['이랑', 'consonant'],
    ['이나', 'consonant'], ['라도', 'vowel'], ['로는', 'vowel-or-rieul'],
    ['은', 'consonant'], ['는', 'vowel'], ['이', 'consonant'], ['가', 'vowel'], ['을', 'consonant'],
    ['를', 'vowel'], ['과', 'consonant'], ['와', 'vowel'], ['로', 'vowel-or-rieul'], ['랑', 'vowel'],
    ['의', 'any'], ['에', 'any'], ['도', 'any'], ['만', 'any'], ['요', 'any'],
  ] as Array<[string, Needs]>
).sort((a, b) => b[0].length - a[0].length);

/** Nouns that end like a particle and are common in chat. */
const KEEP = new Set(['고양이', '어린이', '아이', '놀이', '나이', '오이', '거리', '누나', '언니', '우리', '모두', '하나', '바다', '나라', '영화', '사과', '가을', '마을', '오늘', '회의', '학교', '친구', '시간', '사랑']);

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;
/** Final consonant index (0 = none, 8 = ㄹ) of a Hangul syllable, or -1 if it is not one. */
function finalConsonant(ch: number): number {
  return ch >= HANGUL_FIRST && ch <= HANGUL_LAST ? (ch - HANGUL_FIRST) % 28 : -1;
}

function agrees(needs: Needs, stemLast: number): boolean {
  const fc = finalConsonant(stemLast);
  if (fc < 0) return false; // only after a Hangul syllable
  switch (needs) {
    case 'consonant':
      return fc !== 0;
    case 'vowel':
      return fc === 0;
    case 'vowel-or-rieul':
      return fc === 0 || fc === 8;
    case 'any':
      return true;
  }
}

/** The word without its particle, or the word itself. */
export function stripKoreanParticle(word: string): string {
  if (KEEP.has(word)) return word;
  for (const [p, needs] of PARTICLES) {
    if (word.length <= p.length || !word.endsWith(p)) continue;
    const stem = word.slice(0, word.length - p.length);
    const minStem = p.length === 1 && needs === 'any' ? 2 : 1;
    if (stem.length < minStem || !agrees(needs, stem.charCodeAt(stem.length - 1))) continue;
    return stem;
  }
  return word;
}
