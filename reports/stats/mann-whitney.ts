/**
 * Two-sided Mann-Whitney U (Wilcoxon rank-sum) test, matching
 * scipy.stats.mannwhitneyu(a, b, alternative='two-sided') with
 * method='exact' or method='asymptotic' (use_continuity=True).
 *
 * U is U1, the statistic of `a` (rank sum of a minus n1(n1+1)/2, mid-ranks for
 * ties). The p-value is 2 * P(U >= max(U1, U2)), capped at 1.
 * - exact: the null distribution of U by the recurrence
 *   p(i, j, k) = i/(i+j) p(i-1, j, k-j) + j/(i+j) p(i, j-1, k)
 *   (whichever group holds the largest of the i + j values), in probabilities so
 *   every step adds positive terms. Only valid without ties.
 * - normal: z = (max(U1, U2) - n1 n2 / 2 - 0.5) / sigma with the tie-corrected
 *   sigma^2 = n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))).
 * Ranks come from sorting each group and merging, so 1e5 per group takes ~30 ms.
 * Unlike scipy's method='auto' (exact only when a group has <= 8 samples), 'auto'
 * here means exact whenever there are no ties and n1 * n2 <= EXACT_MAX_PAIRS.
 */

import { normalSf } from './normal.ts';
import { assertSamples } from './validate.ts';

/**
 * 'auto' (default) uses the exact distribution when there are no ties and
 * n1 * n2 <= EXACT_MAX_PAIRS, the normal approximation otherwise.
 */
export type MannWhitneyMethod = 'auto' | 'exact' | 'normal';

/** Largest n1 * n2 for which 'auto' picks the exact test (e.g. 50 x 50, 10 x 250; a few ms). */
export const EXACT_MAX_PAIRS = 2_500;

/** Largest n1 * n2 accepted with method 'exact' (time and memory grow like (n1 n2)^2). */
const EXACT_HARD_LIMIT = 40_000;

/** Options for mannWhitneyU. */
export interface MannWhitneyOptions {
  /** How to compute the p-value; default 'auto'. 'exact' throws on ties or when n1 * n2 > 40 000. */
  method?: MannWhitneyMethod;
}

/** Result of a two-sided Mann-Whitney U test. */
export interface MannWhitneyResult {
  /** U1: the number of pairs (x in a, y in b) with x > y, plus half the ties (scipy's statistic). */
  u: number;
  /** Two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: 'exact' | 'normal';
  /** Size of a. */
  n1: number;
  /** Size of b. */
  n2: number;
  /** True if any value occurs more than once across both groups. */
  ties: boolean;
}

interface Ranked {
  u1: number;
  tieTerm: number;
}

/** U1 and sum(t^3 - t) over tie groups, from the two groups sorted separately and merged. */
function rankSums(a: Float64Array, b: Float64Array): Ranked {
  let i = 0;
  let j = 0;
  let ranked = 0;
  let r1 = 0;
  let tieTerm = 0;
  while (i < a.length || j < b.length) {
    const v = Math.min(a[i] ?? Infinity, b[j] ?? Infinity);
    let ca = 0;
    let cb = 0;
    while (i < a.length && a[i] === v) { i++; ca++; }
    while (j < b.length && b[j] === v) { j++; cb++; }
    const t = ca + cb;
    r1 += ca * (ranked + (t + 1) / 2); // mid-rank of the tie group
    tieTerm += t * t * t - t;
    ranked += t;
  }
  return { u1: r1 - (a.length * (a.length + 1)) / 2, tieTerm };
}

/** P(U <= k) under the null for group sizes m and n, no ties. */
function exactCdf(m: number, n: number, k: number): number {
  if (k < 0) return 0;
  if (k >= m * n) return 1;
  // The distribution is symmetric in (m, n): keep the inner dimension small.
  const big = Math.max(m, n);
  const small = Math.min(m, n);
  // prev[j] / cur[j] hold P(U = 0..k) for sizes (i - 1, j) / (i, j); U <= i j, so
  // only the first min(i j, k) + 1 entries are used.
  const alloc = () => Array.from({ length: small + 1 }, (_, j) => new Float64Array(Math.min(big * j, k) + 1));
  let prev = alloc();
  let cur = alloc();
  for (const dist of prev) dist[0] = 1; // i = 0: U = 0
  for (let i = 1; i <= big; i++) {
    (cur[0] as Float64Array)[0] = 1;
    for (let j = 1; j <= small; j++) {
      const dist = cur[j] as Float64Array;
      const up = prev[j] as Float64Array; // largest value in the size-i group: U gains j
      const left = cur[j - 1] as Float64Array; // largest value in the size-j group: U unchanged
      const wUp = i / (i + j);
      const wLeft = j / (i + j);
      const end = Math.min(i * j, k) + 1;
      const leftEnd = Math.min(end, i * (j - 1) + 1);
      const upEnd = Math.min(end, (i - 1) * j + 1 + j);
      for (let u = 0; u < leftEnd; u++) dist[u] = wLeft * (left[u] as number);
      dist.fill(0, leftEnd, end);
      for (let u = j; u < upEnd; u++) dist[u] = (dist[u] as number) + wUp * (up[u - j] as number);
    }
    [prev, cur] = [cur, prev];
  }
  const last = prev[small] as Float64Array;
  let sum = 0;
  for (let u = 0; u <= k; u++) sum += last[u] as number;
  return Math.min(sum, 1);
}

/** Two-sided Mann-Whitney U test of a against b. */
export function mannWhitneyU(
  a: readonly number[],
  b: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  assertSamples('mannWhitneyU: a', a);
  assertSamples('mannWhitneyU: b', b);
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const { u1, tieTerm } = rankSums(Float64Array.from(a).sort(), Float64Array.from(b).sort());
  const ties = tieTerm > 0;
  const uMax = Math.max(u1, n1 * n2 - u1);

  const requested = options.method ?? 'auto';
  if (requested === 'exact' && ties) throw new Error('mannWhitneyU: the exact method needs samples without ties');
  if (requested === 'exact' && n1 * n2 > EXACT_HARD_LIMIT) {
    throw new Error(`mannWhitneyU: the exact method is limited to n1 * n2 <= ${EXACT_HARD_LIMIT}, got ${n1} * ${n2}`);
  }
  const method = requested === 'auto' ? (!ties && n1 * n2 <= EXACT_MAX_PAIRS ? 'exact' : 'normal') : requested;

  let pValue: number;
  if (method === 'exact') {
    // P(U >= uMax) = P(U <= n1 n2 - uMax) by symmetry
    pValue = 2 * exactCdf(n1, n2, n1 * n2 - uMax);
  } else {
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    // All values equal: sigma = 0 and U sits at its mean, so nothing is evidence of a shift.
    pValue = sigma > 0 ? 2 * normalSf((uMax - (n1 * n2) / 2 - 0.5) / sigma) : 1;
  }
  return { u: u1, pValue: Math.min(pValue, 1), method, n1, n2, ties };
}
