/**
 * Chat text → the distinct words worth counting. Intl.Segmenter (word granularity) finds the
 * words in any script, including those written without spaces (Chinese, Japanese, Thai);
 * emoji, which it does not call words, are kept as words too. Each word is lower-cased, a
 * Korean particle stripped, stop words and single Latin letters or digits dropped; a word
 * longer than `maxWordChars` is dropped (not cut: a cut word would count as another word).
 * Each word counts once per message.
 *
 * Text in space-separated scripts only (Latin, Hangul, digits, punctuation, emoji: nearly all
 * chat here) takes a regular expression that finds the same words as the segmenter on chat
 * text, about 9× faster (the segmenter costs ~100+ µs per short message on Node 20, more than
 * storing it); tokenizer.test.ts checks that both agree on generated chat.
 */
import { stripKoreanParticle } from './korean-particles';

export interface TokenizerOptions {
  stopWords: ReadonlySet<string>;
  /** Strip particles from words containing Hangul (서울에서 → 서울). */
  stripKoreanParticles: boolean;
  maxWordChars: number;
  /** Distinct words kept per message (the first ones). */
  maxWordsPerMessage: number;
}

export interface MessageWords {
  words: string[];
  /** Words dropped for their length. */
  tooLong: number;
}

const HANGUL = /[\uac00-\ud7a3]/;
/** Scripts whose words the segmenter finds by spaces and punctuation alone. */
const SPACE_SEPARATED = /^[\p{Script=Latin}\p{Script=Hangul}\p{Script=Common}\p{Script=Inherited}]*$/u;
/** Hangul syllables and jamo: a run of them is one word, apart from letters and digits touching it. */
const SYLLABLES = '\\u1100-\\u11ff\\ua960-\\ua97f\\uac00-\\ud7a3\\ud7b0-\\ud7ff';
const LETTER = `[\\p{L}\\p{N}\\p{M}_]--[${SYLLABLES}]`;
/** Words as the segmenter finds them in those scripts: `isn't`, `3.14`, `x.com` stay whole. */
const FAST_WORD = new RegExp(`[${SYLLABLES}]+|[${LETTER}]+(?:['\u2019.][${LETTER}]+)*|\\p{Extended_Pictographic}`, 'gv');
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Only Hangul compatibility jamo (ㅋㅋㅋ, ㅠㅠ): laughter and tears, not words. */
const JAMO_ONLY = /^[\u3131-\u318e]+$/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
/** One Latin letter or digit (the "a", "4" of "GPT-4"): noise, not a topic. */
const SINGLE_ASCII = /^[a-z0-9]$/;

export class Tokenizer {
  private readonly segmenter = new Intl.Segmenter('und', { granularity: 'word' });

  constructor(private readonly opts: TokenizerOptions) {}

  words(text: string): MessageWords {
    const seen = new Set<string>();
    let tooLong = 0;
    for (const raw of this.candidates(text)) {
      let w = raw;
      if (w.endsWith("'s")) w = w.slice(0, -2);
      if (this.opts.stripKoreanParticles && HANGUL.test(w)) w = stripKoreanParticle(w);
      if (w.length === 0 || SINGLE_ASCII.test(w) || JAMO_ONLY.test(w) || this.opts.stopWords.has(w)) continue;
      if (w.length > this.opts.maxWordChars && [...w].length > this.opts.maxWordChars) {
        tooLong++;
        continue;
      }
      seen.add(w);
      if (seen.size >= this.opts.maxWordsPerMessage) break;
    }
    return { words: [...seen], tooLong };
  }

  /** Lower-cased words and emoji, in order, before filtering. */
  *candidates(text: string): Iterable<string> {
    if (SPACE_SEPARATED.test(text)) {
      for (const m of text.matchAll(FAST_WORD)) {
        const t = m[0];
        if (LETTER_OR_DIGIT.test(t)) yield t.toLowerCase().replace(/\u2019/g, "'");
        else if (PICTOGRAPH.test(t)) yield t;
      }
      return;
    }
    yield* this.segmented(text);
  }

  /** The same through Intl.Segmenter (any script). */
  *segmented(text: string): Iterable<string> {
    for (const s of this.segmenter.segment(text)) {
      if (s.isWordLike) yield s.segment.toLowerCase().replace(/\u2019/g, "'");
      else if (PICTOGRAPH.test(s.segment)) yield s.segment;
    }
  }
}
