/** Medians for benchmark rounds (the figures quoted are medians of several runs). */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The element at the (lower) median of `key`. */
export function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  return [...xs].sort((x, y) => key(x) - key(y))[Math.floor((xs.length - 1) / 2)];
}
