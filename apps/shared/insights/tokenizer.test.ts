/** Finding the words of Korean and English chat: particles stripped, stop words dropped, once per message. */
import { describe, expect, it } from 'vitest';
import { chatTexts } from './generated-chat';
import { stripKoreanParticle } from './korean-particles';
import { messageText } from './message-text';
import { stopWords } from './stop-words';
import { Tokenizer, type TokenizerOptions } from './tokenizer';

const base: TokenizerOptions = { stopWords: stopWords(), stripKoreanParticles: true, maxWordChars: 32, maxWordsPerMessage: 32 };
const words = (text: string, over: Partial<TokenizerOptions> = {}) => new Tokenizer({ ...base, ...over }).words(text).words;

describe('Tokenizer', () => {
  it('finds Korean words with their particles (and a polite 요) stripped and stop words dropped', () => {
    expect(words('오늘 서울에서 친구를 만났는데 날씨가 정말 좋았어요')).toEqual(['서울', '친구', '만났는데', '날씨', '좋았어']);
    expect(words('고양이가 사과를 먹었어요, 그리고 우리는 학교에 갔다')).toEqual(['고양이', '사과', '먹었어', '학교', '갔다']);
  });

  it('leaves particles on when asked to', () => {
    expect(words('서울에서 커피를', { stripKoreanParticles: false })).toEqual(['서울에서', '커피를']);
  });

  it('lower-cases English, drops stop words, possessives and single letters or digits', () => {
    expect(words("The Deploy is DONE and the deploy's logs look fine; GPT-4 isn't a problem")).toEqual(['deploy', 'done', 'logs', 'look', 'fine', 'gpt', 'problem']);
  });

  it('counts a word once per message, whatever its case or particle', () => {
    expect(words('Rust rust RUST 러스트는 러스트를 러스트')).toEqual(['rust', '러스트']);
  });

  it('keeps emoji as words and drops jamo-only laughter and punctuation', () => {
    expect(words('배포 🎉🎉 ㅋㅋㅋㅋ !!! ...')).toEqual(['배포', '🎉']);
  });

  it('drops words past the length cap (counted) and keeps at most maxWordsPerMessage', () => {
    const t = new Tokenizer({ ...base, maxWordChars: 5, maxWordsPerMessage: 2 });
    expect(t.words('supercalifragilistic short words more')).toEqual({ words: ['short', 'words'], tooLong: 1 });
  });

  it('takes extra stop words from configuration', () => {
    expect(words('stompbox rocks', { stopWords: stopWords('Stompbox, ') })).toEqual(['rocks']);
  });
});

describe('the fast path for space-separated scripts', () => {
  const t = new Tokenizer(base);
  it('finds the same words as Intl.Segmenter on generated Korean/English chat', () => {
    const texts = chatTexts(3_000, 11);
    for (const text of texts) expect([...t.candidates(text)], text).toEqual([...t.segmented(text)]);
  });

  it('leaves scripts written without spaces to the segmenter', () => {
    expect(words('東京で寿司を食べた')).toEqual([...t.segmented('東京で寿司を食べた')].filter((w) => w.length > 0));
    expect(words('東京で寿司を食べた').length).toBeGreaterThan(2);
  });
});

describe('stripKoreanParticle', () => {
  it.each([
    ['서울에서', '서울'], ['친구에게', '친구'], ['책을', '책'], ['커피를', '커피'], ['날씨가', '날씨'], ['사람은', '사람'],
    ['학교로', '학교'], ['서울로', '서울'], ['집으로', '집'], ['엄마와', '엄마'], ['동생과', '동생'], ['주말까지', '주말'],
  ])('%s → %s', (word, stem) => expect(stripKoreanParticle(word)).toBe(stem));

  it.each(['사과', '가을', '고양이', '아이', '회의', '나이', '서울', '집에'])('keeps %s whole (no agreeing particle, or too short a stem)', (w) => {
    expect(stripKoreanParticle(w)).toBe(w);
  });
});

describe('messageText', () => {
  const msg = (body: string | Buffer, contentType: string | null = 'text/plain') => ({ contentType, body: Buffer.isBuffer(body) ? body : Buffer.from(body) });
  it('reads a JSON body’s text field and plain UTF-8 bodies', () => {
    expect(messageText(msg('{"text":"안녕 world"}', 'application/json'), 1024)).toBe('안녕 world');
    expect(messageText(msg('{"message":"hi there"}', null), 1024)).toBe('hi there');
    expect(messageText(msg('just words', null), 1024)).toBe('just words');
  });
  it('gives null for binary bodies, binary content types and JSON without text', () => {
    expect(messageText(msg(Buffer.from([0xff, 0x00, 0x12])), 1024)).toBeNull();
    expect(messageText(msg('words', 'image/png'), 1024)).toBeNull();
    expect(messageText(msg('{"n":1}', 'application/json'), 1024)).toBeNull();
  });
  it('reads at most maxBytes of a long body', () => {
    expect(messageText(msg('a'.repeat(10_000)), 100)).toHaveLength(100);
  });
});
