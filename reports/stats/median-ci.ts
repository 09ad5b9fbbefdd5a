/**
 * Distribution-free confidence interval for the median from order statistics,
 * as benchstat does (golang.org/x/perf/benchmath, via go-moremath stats.QuantileCI).
 *
 * The number of samples below the population median is Binomial(n, 1/2), so the
 * median lies between order statistics X(l) and X(r) (1-based) with probability
 * P(l <= K < r). For n <= 30 the exact binomial is used: start at the (lower) mode
 * and add the larger neighbouring mass, preferring the left one on ties, until the
 * coverage reaches the requested level. For n > 30 a normal approximation with
 * continuity correction picks a symmetric band, then tries dropping one order
 * statistic on the right if the coverage still suffices.
 */

import { assertLevel } from './validate.ts';
import { normalCdf, normalQuantile } from './normal.ts';

/** Largest n for which the exact binomial is used, as in benchstat. */
const EXACT_MAX_N = 30;

/**
 * Which order statistics bound the median's confidence interval.
 * Orders are 1-based; loOrder = 0 means the interval is unbounded below and
 * hiOrder = n + 1 means it is unbounded above (benchstat's convention).
 */
export interface MedianCIOrders {
  /** Sample size. */
  n: number;
  /** 1-based order statistic of the lower bound, or 0 for -infinity. */
  loOrder: number;
  /** 1-based order statistic of the upper bound, or n + 1 for +infinity. */
  hiOrder: number;
  /** Actual coverage P(loOrder <= K < hiOrder); at least the requested level. */
  coverage: number;
}

/** C(n, k) / 2^n; exact enough for n <= 30, where C(n, k) < 2^53. */
function binomialHalfPmf(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c / 2 ** n;
}

function exactOrders(n: number, confidence: number): MedianCIOrders {
  const mode = Math.ceil((n + 1) / 2) - 1; // lower of the two modes when n is odd
  let coverage = binomialHalfPmf(n, mode);
  let l = mode; // [l, r) is the range of K summed so far
  let r = mode + 1;
  let lp = binomialHalfPmf(n, l - 1);
  let rp = binomialHalfPmf(n, r);
  while (coverage < confidence && (lp > 0 || rp > 0)) {
    if (lp >= rp) {
      coverage += lp;
      l--;
      lp = binomialHalfPmf(n, l - 1);
    } else {
      coverage += rp;
      r++;
      rp = binomialHalfPmf(n, r);
    }
  }
  return { n, loOrder: l, hiOrder: r, coverage };
}

function approxOrders(n: number, confidence: number): MedianCIOrders {
  const mu = n / 2;
  const sigma = Math.sqrt(n) / 2;
  const l1 = mu + sigma * normalQuantile((1 - confidence) / 2);
  const r1 = 2 * mu - l1;
  // Binomial point k is the normal band [k - 0.5, k + 0.5]: round out to those edges.
  let l = Math.floor(l1 - 0.5) + 1;
  let r = Math.ceil(r1 - 0.5) + 1;
  const cover = (lo: number, hi: number) =>
    normalCdf((hi - 0.5 - mu) / sigma) - normalCdf((lo - 0.5 - mu) / sigma);
  let coverage = cover(l, r);
  const biased = cover(l, r - 1);
  if (biased >= confidence && biased < coverage) {
    coverage = biased;
    r--;
  }
  if (l <= 0 && r >= n + 1) coverage = 1;
  l = Math.max(l, 0);
  r = Math.min(r, n + 1);
  return { n, loOrder: l, hiOrder: r, coverage };
}

/** Order statistics bounding the `confidence` interval of the median of n samples. */
export function medianCIOrders(n: number, confidence = 0.95): MedianCIOrders {
  if (!Number.isInteger(n) || n < 1) throw new Error(`medianCIOrders: n must be a positive integer, got ${n}`);
  assertLevel('medianCIOrders: confidence', confidence);
  return n <= EXACT_MAX_N ? exactOrders(n, confidence) : approxOrders(n, confidence);
}
