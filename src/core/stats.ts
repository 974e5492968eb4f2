/**
 * Small statistics of host samples, for experiments and reports. Sums run left to right, so a
 * result is the same wherever it is computed; an empty sample gives NaN.
 */

/** Arithmetic mean. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Median (the mean of the two middle values for an even count). */
export function median(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const s = Array.from(xs).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sample standard deviation (divisor n − 1); 0 for fewer than two values. */
export function std(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/** Mean and standard error of the mean, std/√n (0 for fewer than two values). */
export function meanStdErr(xs: ArrayLike<number>): { mean: number; stdErr: number } {
  return { mean: mean(xs), stdErr: xs.length > 1 ? std(xs) / Math.sqrt(xs.length) : 0 };
}
