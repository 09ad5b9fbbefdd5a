/** Sample values are nanoseconds; plots show µs. */
export const NS_PER_US = 1000;

/** Type-7 quantile (linear interpolation between order statistics) of ascending data. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantileSorted: no data');
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
