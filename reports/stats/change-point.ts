/**
 * Steady-state check for one boot: does the level of its samples (in run order)
 * shift part-way through, e.g. a warm-up phase or a drift?
 *
 * Method: a single change point by the standardized CUSUM statistic. For every
 * split k = 1..n-1 (the first k samples before, the rest after),
 * T_k = |S_k - k mean| / sqrt(k (n - k) / n), S_k the sum of the first k samples;
 * T_k is the two-sample z statistic of "before" against "after" up to the common sd,
 * so the splits are comparable. The change point is the first k with the largest
 * T_k, the statistic is max T_k. Its p-value comes from a seeded permutation test:
 * under "no change" every order of the samples is equally likely, so the samples
 * are shuffled (Fisher-Yates with mulberry32) and
 * p = (1 + #{shuffles with max T >= observed}) / (1 + shuffles), with a relative
 * slack of 1e-12 on ">=" so that orders with the same statistic in exact arithmetic
 * count. No distributional assumption; the smallest possible p is 1 / (1 + shuffles).
 * The test stops early once `stopAfter` shuffles (20) have reached the observed
 * statistic, with p = that count / the shuffles drawn: the sequential
 * Monte Carlo p-value of Besag and Clifford (Biometrika 1991), as valid as the
 * full test. A steady boot then costs some tens of shuffles instead of 2000,
 * and every p below 20 / 2000 = 0.01 (the level that matters) is the same as
 * without stopping. Long boots get fewer shuffles by default, 2.5 M / n
 * (2000 up to n = 1250, 100 for n = 25 000, never fewer than 100): each costs
 * O(n), and 100 still leave the smallest p, 1/101, below STEADY_ALPHA.
 *
 * How to use it: flag a boot as not steady only when p < alpha AND the shift is
 * large in practice, |shiftPct| >= a threshold (isSteady: STEADY_ALPHA and
 * STEADY_MIN_SHIFT_PCT). Under an instruction-counting clock the noise within a
 * boot is tiny, so a real but negligible drift (0.1 %) is highly significant and a
 * p-value alone would flag nearly every boot.
 */

import { mulberry32 } from '../../lib/prng.ts';
import { assertPositive } from './validate.ts';

/** Significance level below which a change point can make a boot non-steady. */
export const STEADY_ALPHA = 0.01;

/** Smallest |shiftPct| (in percent) that makes a significant change point matter. */
export const STEADY_MIN_SHIFT_PCT = 0.5;

/** The most likely single change point in one boot's samples. */
export interface ChangePoint {
  n: number;
  /** index of the first sample after the change */
  index: number | null;
  /** (mean after / mean before - 1) * 100 at that split */
  shiftPct: number;
  /** permutation p-value of the max statistic */
  pValue: number;
  /** Number of shuffles drawn (0 when there was nothing to test: n < 3 or all values equal). */
  permutations: number;
  seed: number;
}

/** Options for changePoint. */
export interface ChangePointOptions {
  /** Number of shuffles of the permutation test; default 2000, fewer for long boots (see above). */
  permutations?: number;
  /** PRNG seed (any 32-bit integer); default 42. Same seed and samples give the same p-value. */
  seed?: number;
  /** Stop once this many shuffles reach the observed statistic (default 20; Infinity never stops). */
  stopAfter?: number;
}

/** 1 / sqrt(k (n - k) / n) for k = 0..n (entries 0 and n unused). */
function splitWeights(n: number): Float64Array {
  const w = new Float64Array(n + 1);
  for (let k = 1; k < n; k++) w[k] = 1 / Math.sqrt((k * (n - k)) / n);
  return w;
}

/** max_k T_k of the centred values (T_k = |partial sum of the first k| * weight k), and its first k. */
function maxStatistic(centred: Float64Array, weights: Float64Array): { stat: number; k: number } {
  let sum = 0;
  let stat = -1;
  let k = 0;
  for (let j = 1; j < centred.length; j++) {
    sum += centred[j - 1] as number;
    const t = Math.abs(sum) * (weights[j] as number);
    if (t > stat * (1 + 1e-12)) {
      stat = t;
      k = j;
    }
  }
  return { stat, k };
}

/** Single change point of `xs` (samples in run order) with its permutation p-value. */
export function changePoint(xs: readonly number[], opts: ChangePointOptions = {}): ChangePoint {
  assertPositive('changePoint', xs);
  const permutations = opts.permutations ?? Math.max(100, Math.min(2000, Math.floor(2_500_000 / Math.max(1, xs.length))));
  const seed = opts.seed ?? 42;
  if (!(Number.isInteger(permutations) && permutations >= 1)) {
    throw new Error(`changePoint: permutations must be an integer >= 1, got ${permutations}`);
  }
  if (!Number.isFinite(seed)) throw new Error(`changePoint: seed must be a finite number, got ${seed}`);
  const n = xs.length;
  if (n < 3 || xs.every((x) => x === xs[0])) {
    return { n, index: null, shiftPct: 0, pValue: 1, permutations: 0, seed };
  }

  let total = 0;
  for (const x of xs) total += x;
  const mean = total / n;
  const centred = Float64Array.from(xs, (x) => x - mean);
  const weights = splitWeights(n);
  const { stat, k } = maxStatistic(centred, weights);

  let before = 0;
  for (let i = 0; i < k; i++) before += xs[i] as number;
  const shiftPct = (((total - before) / (n - k)) / (before / k) - 1) * 100;

  const stopAfter = opts.stopAfter ?? 20;
  const rng = mulberry32(seed);
  const threshold = stat - 1e-12 * Math.abs(stat);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    if (atLeast >= stopAfter) return { n, index: k, shiftPct, pValue: atLeast / p, permutations: p, seed };
    // Fisher-Yates on the previous order: still a uniformly random permutation
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const tmp = centred[i] as number;
      centred[i] = centred[j] as number;
      centred[j] = tmp;
    }
    if (maxStatistic(centred, weights).stat >= threshold) atLeast++;
  }
  return { n, index: k, shiftPct, pValue: (1 + atLeast) / (1 + permutations), permutations, seed };
}

/** True unless the change point is significant (p < STEADY_ALPHA) and large (|shiftPct| >= STEADY_MIN_SHIFT_PCT). */
export function isSteady(cp: ChangePoint): boolean {
  return !(cp.pValue < STEADY_ALPHA && Math.abs(cp.shiftPct) >= STEADY_MIN_SHIFT_PCT);
}
