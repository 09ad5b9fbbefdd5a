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

/** The change of level at split k, in %: mean after over mean before, minus 1. */
function levelShiftPct(xs: readonly number[], total: number, k: number): number {
  let before = 0;
  for (let i = 0; i < k; i++) before += xs[i] as number;
  return (((total - before) / (xs.length - k)) / (before / k) - 1) * 100;
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

  const shiftPct = levelShiftPct(xs, total, k);

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

/**
 * The fewest samples for which a boot's own permutations can flag a step at
 * STEADY_ALPHA: when k samples sit at one level and n - k at another, only
 * the orders that keep the two groups apart reach the step's statistic, so
 * its p is at least 2 / C(n, k), smallest for k = n / 2: 2/70 at n = 8
 * (see the test of [1,1,1,1,5,5,5,5]), 2/252 < 0.01 from n = 10.
 */
export const MIN_SAMPLES_WITHIN_BOOT = 10;

/** Fewest residuals of other boots for the pooled test: 5 boots of 4 samples. */
export const MIN_POOLED_RESIDUALS = 20;

/** How a boot's steady state was tested. */
export type SteadyMethod = 'pooled residuals' | 'within boot' | 'not tested';

/** A change point with the test that judged it; pValue is null when nothing could be tested. */
export interface SteadyCheck extends Omit<ChangePoint, 'pValue'> {
  pValue: number | null;
  method: SteadyMethod;
  /** false: a significant, large shift; null: not tested (too few samples here and too few other boots). */
  steady: boolean | null;
}

/**
 * Relative residuals of one boot's samples about their mean, scaled by
 * sqrt(n / (n - 1)) so that their variance estimates the noise's (a boot's
 * own mean takes one degree of freedom).
 */
export function relativeResiduals(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n < 2) return [];
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const scale = Math.sqrt(n / (n - 1));
  return xs.map((x) => (x / mean - 1) * scale);
}

/**
 * Single change point of `xs` tested against the noise of other boots of the
 * same scenario: `pool` holds their relative residuals (relativeResiduals).
 * Under "no change" this boot's samples are its level times (1 + noise), the
 * noise drawn like the others' residuals; so the null distribution of the
 * statistic is that of n residuals drawn from the pool with replacement and
 * centred (a residual bootstrap). With 4 samples per boot a boot's own
 * permutations cannot reach STEADY_ALPHA (MIN_SAMPLES_WITHIN_BOOT); drawing
 * from 44 residuals can, down to 1 / (1 + permutations). Boots at different
 * levels (layout modes) do not matter: each boot's residuals are about its own
 * mean. Same sequential stopping as changePoint.
 */
export function changePointPooled(xs: readonly number[], pool: readonly number[], opts: ChangePointOptions = {}): ChangePoint {
  assertPositive('changePointPooled', xs);
  if (pool.length < 2) throw new Error(`changePointPooled: the pool needs at least 2 residuals, got ${pool.length}`);
  const permutations = opts.permutations ?? 2000;
  const seed = opts.seed ?? 42;
  const n = xs.length;
  if (n < 3 || xs.every((x) => x === xs[0])) return { n, index: null, shiftPct: 0, pValue: 1, permutations: 0, seed };
  let total = 0;
  for (const x of xs) total += x;
  const mean = total / n;
  const weights = splitWeights(n);
  const { stat, k } = maxStatistic(Float64Array.from(xs, (x) => x / mean - 1), weights);
  const shiftPct = levelShiftPct(xs, total, k);

  const stopAfter = opts.stopAfter ?? 20;
  const rng = mulberry32(seed);
  const threshold = stat - 1e-12 * Math.abs(stat);
  const draw = new Float64Array(n);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    if (atLeast >= stopAfter) return { n, index: k, shiftPct, pValue: atLeast / p, permutations: p, seed };
    let sum = 0;
    for (let i = 0; i < n; i++) sum += draw[i] = pool[Math.floor(rng() * pool.length)] as number;
    for (let i = 0; i < n; i++) draw[i] = (draw[i] as number) - sum / n;
    if (maxStatistic(draw, weights).stat >= threshold) atLeast++;
  }
  return { n, index: k, shiftPct, pValue: (1 + atLeast) / (1 + permutations), permutations, seed };
}

/**
 * The steady-state check of every boot of one scenario (each boot's samples
 * in run order): against the residuals of the other boots where there are
 * enough of them (MIN_POOLED_RESIDUALS), else against the boot's own
 * permutations where it has enough samples (MIN_SAMPLES_WITHIN_BOOT), else
 * not tested, and said so: a check that cannot reject must not report a pass.
 */
export function steadyChecks(boots: readonly (readonly number[])[], opts: ChangePointOptions = {}): SteadyCheck[] {
  const residuals = boots.map(relativeResiduals);
  return boots.map((xs, i) => {
    const pool = residuals.flatMap((r, j) => (j === i ? [] : r));
    if (xs.length < 3) return { ...changePoint(xs, opts), pValue: null, method: 'not tested', steady: null };
    if (pool.length >= MIN_POOLED_RESIDUALS) return judged(changePointPooled(xs, pool, opts), 'pooled residuals');
    if (xs.length >= MIN_SAMPLES_WITHIN_BOOT) return judged(changePoint(xs, opts), 'within boot');
    const cp = changePoint(xs, { ...opts, permutations: 1, stopAfter: Infinity });
    return { ...cp, permutations: 0, pValue: null, method: 'not tested', steady: null };
  });
}

function judged(cp: ChangePoint, method: SteadyMethod): SteadyCheck {
  return { ...cp, method, steady: isSteady(cp) };
}
