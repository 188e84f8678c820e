/** The K most counted of a word → count map without sorting all of it (a bounded min-heap). */
import { byCountThenWord, type TrendingWord } from './trending-store';

export function topK(counts: Iterable<[string, number]>, k: number): TrendingWord[] {
  if (k <= 0) return [];
  // heap[0] is the weakest kept word: the one a better candidate replaces.
  const heap: TrendingWord[] = [];
  const weaker = (a: TrendingWord, b: TrendingWord) => byCountThenWord(a, b) > 0;
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!weaker(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && weaker(heap[l], heap[w])) w = l;
      if (r < heap.length && weaker(heap[r], heap[w])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (const [word, count] of counts) {
    const cand = { word, count };
    if (heap.length < k) {
      heap.push(cand);
      up(heap.length - 1);
    } else if (byCountThenWord(cand, heap[0]) < 0) {
      heap[0] = cand;
      down(0);
    }
  }
  return heap.sort(byCountThenWord);
}
