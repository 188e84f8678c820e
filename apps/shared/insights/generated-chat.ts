/**
 * Generated chat for the trending tests and benchmark: seeded, so every run sees the same text,
 * with a known word distribution (Zipf-like: word i is said in proportion to 1 / (i + 1)).
 */
import { BUCKET_MS, type CountedMessage } from './trending-store';

/** A minute boundary well in the past, so minute arithmetic is easy to read. */
export const T0 = 28_000_000 * BUCKET_MS;

/** A small pseudo-random generator (seeded: the same text every run). */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Messages over `minutes` minutes from T0: words drawn from a Zipf-like distribution over a mixed vocabulary. */
export function generateMessages(opts: { minutes: number; perMinute: number; rooms: number; vocabulary: number; seed: number; start?: number }): CountedMessage[] {
  const start = opts.start ?? T0;
  const rnd = mulberry32(opts.seed);
  const syllables = ['서울', '커피', '배포', '회의', '점심', 'rust', 'deploy', 'coffee', 'metrics', '🎉', 'redis', '고양이'];
  const vocab = Array.from({ length: opts.vocabulary }, (_, i) => `${syllables[i % syllables.length]}${Math.floor(i / syllables.length) || ''}`);
  // weight of word i ∝ 1 / (i + 1): a few words dominate, a long tail stays rare.
  const weights = vocab.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w, i) => (cumulative[i] = acc + w / total), 0);
  const draw = () => {
    const r = rnd();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo];
  };
  const out: CountedMessage[] = [];
  for (let minute = 0; minute < opts.minutes; minute++) {
    for (let i = 0; i < opts.perMinute; i++) {
      const words = new Set<string>();
      const n = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < n; k++) words.add(draw());
      const t = start + minute * BUCKET_MS + Math.floor((i / opts.perMinute) * BUCKET_MS);
      out.push({ roomId: `room${Math.floor(rnd() * opts.rooms)}`, sentAt: t, words: [...words] });
    }
  }
  return out;
}


/**
 * Chat-like sentences: vocabulary words with Korean particles, English fillers, stop words,
 * contractions, numbers, punctuation and emoji between them.
 */
export function chatTexts(n: number, seed = 1): string[] {
  const rnd = mulberry32(seed);
  const gen = generateMessages({ minutes: 1, perMinute: n, rooms: 1, vocabulary: 2_000, seed });
  const particles = ['에서', '를', '가', '는', '도', '요', ''];
  const fillers = ['the', 'and', "isn't", 'really', '그리고', '진짜', 'ㅋㅋㅋ', 'is', 'great!', '?', '좋았어요.', '했어', '3.14', 'x.com', 'GPT-4', '(ok)', '🎉🎉', '…', 'Café', "don’t"];
  return gen.map((m) =>
    m.words
      .map((w) => `${w}${/[가-힣]$/.test(w) ? particles[Math.floor(rnd() * particles.length)] : ''} ${fillers[Math.floor(rnd() * fillers.length)]}`)
      .join(rnd() < 0.2 ? ', ' : ' '),
  );
}
