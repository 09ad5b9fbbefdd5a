/**
 * Seeded percentile bootstrap of the ratio of medians, median(other) / median(base).
 * Each resample draws every group independently with replacement; the CI is the
 * (1-c)/2 and (1+c)/2 type-7 percentiles of the resampled ratios (as
 * numpy.percentile on a list of bootstrap ratios would give).
 *
 * Speed: a resample is never materialised. If the group's samples are sorted as
 * s[0..n-1], a resample's j-th smallest value is s[floor(n * U(j))] where U(j) is the
 * j-th order statistic of n iid Uniform(0, 1), which is Beta(j, n + 1 - j); and given
 * U(j) = u, U(j+1) = u + (1 - u) * Beta(1, n - j). So a resample's median costs a
 * couple of gamma variates instead of n draws plus a selection, exactly the same
 * distribution as literal resampling (checked against enumeration in the tests).
 * Literal resampling with quickselect measured ~2 ms per group of 1e5, i.e. ~40 s
 * for 10 000 resamples of two groups; this takes milliseconds.
 */

import { quantileSorted } from 'simple-statistics';
import { mulberry32, type Rng } from '../../lib/prng.ts';
import { beta } from './variates.ts';
import { assertLevel, assertPositive } from './validate.ts';

/** Options for bootstrapRatioOfMedians. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples; default 10 000. */
  resamples?: number;
  /** PRNG seed (any 32-bit integer); default 42. Same seed and inputs give bit-identical results. */
  seed?: number;
  /** Confidence level of the percentile intervals; default 0.95. */
  confidence?: number;
}

/** A closed interval [lo, hi]. */
export type Interval = readonly [lo: number, hi: number];

/** Ratio of medians with its bootstrap confidence intervals. */
export interface RatioOfMedians {
  /** median(other) / median(base). */
  ratio: number;
  /** (ratio - 1) * 100: how much slower (positive) or faster (negative) `other` is, in percent. */
  overheadPct: number;
  /** Percentile-bootstrap CI of the ratio. */
  ratioCI: Interval;
  /** The same CI expressed as overhead percent, (ratioCI - 1) * 100. */
  overheadPctCI: Interval;
  /** Confidence level of both intervals. */
  confidence: number;
  /** Number of resamples used. */
  resamples: number;
  /** Seed used. */
  seed: number;
}

/** Draws the median of one with-replacement resample of `sorted` (ascending). */
export function resampledMedian(sorted: Float64Array, rng: Rng): number {
  const n = sorted.length;
  const at = (u: number) => sorted[Math.min(n - 1, Math.floor(n * u))] as number;
  if (n % 2 === 1) {
    const k = (n + 1) / 2;
    return at(beta(rng, k, n + 1 - k));
  }
  const k = n / 2;
  const u = beta(rng, k, n + 1 - k);
  // min of the n - k uniforms above u: 1 - W^(1/(n-k)), written with expm1 for precision
  const gap = -Math.expm1(Math.log(1 - rng()) / (n - k));
  return (at(u) + at(u + (1 - u) * gap)) / 2;
}

function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Ratio of medians median(other) / median(base) with a seeded percentile-bootstrap CI.
 * Both groups must be non-empty, finite and > 0 (they are durations).
 */
export function bootstrapRatioOfMedians(
  base: readonly number[],
  other: readonly number[],
  options: BootstrapOptions = {},
): RatioOfMedians {
  assertPositive('bootstrapRatioOfMedians: base', base);
  assertPositive('bootstrapRatioOfMedians: other', other);
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 42;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new Error(`bootstrapRatioOfMedians: resamples must be a positive integer, got ${resamples}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`bootstrapRatioOfMedians: seed must be an integer, got ${seed}`);
  assertLevel('bootstrapRatioOfMedians: confidence', confidence);

  const sortedBase = Float64Array.from(base).sort();
  const sortedOther = Float64Array.from(other).sort();
  const rng = mulberry32(seed);
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    const b = resampledMedian(sortedBase, rng);
    ratios[i] = resampledMedian(sortedOther, rng) / b;
  }
  const sortedRatios = Array.from(ratios.sort());
  const tail = (1 - confidence) / 2;
  const ratioCI: Interval = [quantileSorted(sortedRatios, tail), quantileSorted(sortedRatios, 1 - tail)];
  const ratio = medianOfSorted(sortedOther) / medianOfSorted(sortedBase);
  const pct = (r: number) => (r - 1) * 100;
  return {
    ratio,
    overheadPct: pct(ratio),
    ratioCI,
    overheadPctCI: [pct(ratioCI[0]), pct(ratioCI[1])],
    confidence,
    resamples,
    seed,
  };
}
