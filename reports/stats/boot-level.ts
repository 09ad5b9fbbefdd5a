/**
 * Boot-level comparisons: one number per boot (e.g. its mean ns per exec), the boot
 * being the unit of replication because each boot draws its own memory layout.
 *
 * Method: everything is on the log scale, so the effect is a ratio of geometric
 * means and the intervals are Student-t intervals of mean logs, exponentiated:
 * - geometricMeanCI: exp(mean ln x) with exp(mean +- t(n-1, (1+c)/2) sd(ln x) / sqrt(n));
 * - pairedLogRatio: base[i] and other[i] share a seed (same layout), so the paired
 *   t-test on d_i = ln other_i - ln base_i (scipy.stats.ttest_rel on the logs), the
 *   ratio exp(mean d) and its interval exp(mean d +- t(n-1) sd(d) / sqrt(n));
 * - welchLogRatio: independent boots, Welch's t-test on the logs
 *   (scipy.stats.ttest_ind(equal_var=False)) with the Welch-Satterthwaite
 *   df = (v1 + v2)^2 / (v1^2 / (n1-1) + v2^2 / (n2-1)), v = var(ln x) / n, and the
 *   interval exp(diff +- t(df) sqrt(v1 + v2)) of the difference of mean logs.
 * p-values are two-sided. With fewer than 2 values (a group, or pairs) there is no
 * spread: interval, p-value and df are null. When the spread is zero (paired: all
 * differences equal; Welch: both groups constant) the interval is [ratio, ratio] and
 * p is 1 if the ratio is exactly 1, else 0. "Equal" allows for the rounding of the
 * logarithms: values whose logs agree to within 8 ulps of the largest |ln x| count
 * as equal, so base = [1, 2, 3], other = [2, 4, 6] is an exact ratio of 2.
 */

import { studentTQuantile, studentTSf } from './student-t.ts';
import { assertLevel, assertPositive } from './validate.ts';

/** Geometric mean with its t interval. */
export interface GeoMeanCI {
  n: number;
  /** exp(mean ln x). */
  centre: number;
  /** exp(mean ln x +- t(n-1, (1+c)/2) sd(ln x) / sqrt(n)); null when n < 2. */
  ci: [number, number] | null;
  /** Sample sd of ln x (n - 1 denominator); null when n < 2. */
  sdLog: number | null;
  confidence: number;
}

/** Ratio of geometric means (other / base) with its t test. */
export interface RatioTest {
  method: 'paired-t' | 'welch-t';
  /** pairs (paired) or n1 + n2 (welch) */
  n: number;
  /** Degrees of freedom of the t distribution used; null when there is no spread to estimate. */
  df: number | null;
  /** exp(mean ln other - mean ln base) (welch) or exp(mean(ln other_i - ln base_i)) (paired) */
  ratio: number;
  /** Confidence interval of the ratio; null when a group (or the pairs) has fewer than 2 values. */
  ratioCI: [number, number] | null;
  /** two-sided */
  pValue: number | null;
  confidence: number;
}

interface LogSummary {
  n: number;
  mean: number;
  /** Sample variance, 0 when the values are equal up to log rounding; NaN when n < 2. */
  variance: number;
}

/** Spread below which values are treated as equal: 8 ulps of the largest |log| involved. */
function roundingTolerance(...logs: (readonly number[])[]): number {
  let max = 0;
  for (const ls of logs) for (const l of ls) max = Math.max(max, Math.abs(l));
  return 8 * Number.EPSILON * max;
}

function summarise(values: readonly number[], tolerance: number): LogSummary {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  // identical values: their mean exactly (sum / n can be off by an ulp)
  const mean = values.every((v) => v === values[0]) ? (values[0] as number) : sum / n;
  let ss = 0;
  let maxDev = 0;
  for (const v of values) {
    ss += (v - mean) ** 2;
    maxDev = Math.max(maxDev, Math.abs(v - mean));
  }
  const variance = n < 2 ? NaN : maxDev <= tolerance ? 0 : ss / (n - 1);
  return { n, mean, variance };
}

/**
 * A mean log difference with its standard error and degrees of freedom, the
 * common core of the tests below and of the gate's comparisons (which combine
 * such estimates). n counts pairs (paired) or both groups (Welch); se and df
 * are NaN with fewer than 2 values a side, se is 0 and df null when there is
 * no spread beyond log rounding.
 */
export interface LogDiffEstimate {
  n: number;
  diff: number;
  se: number;
  df: number | null;
  /** What "no difference" means for these values: |diff| at most this is rounding. */
  tolerance: number;
}

/** The paired estimate from d_i = ln other_i - ln base_i; `tolerance` from the logs the d_i came from. */
export function pairedLogDiff(d: readonly number[], tolerance: number): LogDiffEstimate {
  const { n, mean, variance } = summarise(d, tolerance);
  return { n, diff: mean, se: Math.sqrt(variance / n), df: n < 2 ? null : n - 1, tolerance };
}

/** Welch's estimate of mean(lo) - mean(lb) for two independent groups of logs. */
export function welchLogDiff(lb: readonly number[], lo: readonly number[]): LogDiffEstimate {
  const tolerance = roundingTolerance(lb, lo);
  const b = summarise(lb, tolerance);
  const o = summarise(lo, tolerance);
  const vb = b.variance / b.n;
  const vo = o.variance / o.n;
  // Welch-Satterthwaite; undefined (0 / 0) when both groups are constant
  const df = vb + vo > 0 ? (vb + vo) ** 2 / (vb ** 2 / (b.n - 1) + vo ** 2 / (o.n - 1)) : null;
  return { n: b.n + o.n, diff: o.mean - b.mean, se: Math.sqrt(vb + vo), df, tolerance };
}

/** Two-sided t test of a mean log difference `diff` with standard error `se` on `df` degrees of freedom. */
function logRatioTest(
  method: RatioTest['method'],
  n: number,
  diff: number,
  se: number,
  df: number | null,
  tolerance: number,
  confidence: number,
): RatioTest {
  const ratio = Math.exp(diff);
  if (se === 0) {
    // no spread at all: the ratio is known exactly
    const pValue = Math.abs(diff) <= tolerance ? 1 : 0;
    return { method, n, df, ratio, ratioCI: [ratio, ratio], pValue, confidence };
  }
  const dfUsed = df as number;
  const half = studentTQuantile((1 + confidence) / 2, dfUsed) * se;
  const pValue = Math.min(1, 2 * studentTSf(Math.abs(diff / se), dfUsed));
  return { method, n, df, ratio, ratioCI: [Math.exp(diff - half), Math.exp(diff + half)], pValue, confidence };
}

/** exp(mean(ln x)); CI exp(mean ± t_{n-1,(1+c)/2} * sd(ln x)/sqrt(n)); ci and sdLog null when n < 2. */
export function geometricMeanCI(xs: readonly number[], confidence = 0.95): GeoMeanCI {
  assertPositive('geometricMeanCI', xs);
  assertLevel('geometricMeanCI: confidence', confidence);
  const logs = xs.map(Math.log);
  const { n, mean, variance } = summarise(logs, roundingTolerance(logs));
  const centre = Math.exp(mean);
  if (n < 2) return { n, centre, ci: null, sdLog: null, confidence };
  const sdLog = Math.sqrt(variance);
  const half = studentTQuantile((1 + confidence) / 2, n - 1) * (sdLog / Math.sqrt(n));
  return { n, centre, ci: [Math.exp(mean - half), Math.exp(mean + half)], sdLog, confidence };
}

/** base[i] and other[i] are one pair (same seed). Paired t-test on d_i = ln other_i - ln base_i. */
export function pairedLogRatio(base: readonly number[], other: readonly number[], confidence = 0.95): RatioTest {
  assertPositive('pairedLogRatio: base', base);
  assertPositive('pairedLogRatio: other', other);
  assertLevel('pairedLogRatio: confidence', confidence);
  if (base.length !== other.length) {
    throw new Error(`pairedLogRatio: base and other must be pairs, got ${base.length} and ${other.length} values`);
  }
  const lb = base.map(Math.log);
  const lo = other.map(Math.log);
  const e = pairedLogDiff(lo.map((l, i) => l - (lb[i] as number)), roundingTolerance(lb, lo));
  if (e.n < 2) {
    return { method: 'paired-t', n: e.n, df: null, ratio: Math.exp(e.diff), ratioCI: null, pValue: null, confidence };
  }
  return logRatioTest('paired-t', e.n, e.diff, e.se, e.df, e.tolerance, confidence);
}

/** Welch's t-test on ln values, Welch-Satterthwaite df; interval of the difference of mean logs, exponentiated. */
export function welchLogRatio(base: readonly number[], other: readonly number[], confidence = 0.95): RatioTest {
  assertPositive('welchLogRatio: base', base);
  assertPositive('welchLogRatio: other', other);
  assertLevel('welchLogRatio: confidence', confidence);
  const e = welchLogDiff(base.map(Math.log), other.map(Math.log));
  if (base.length < 2 || other.length < 2) {
    return { method: 'welch-t', n: e.n, df: null, ratio: Math.exp(e.diff), ratioCI: null, pValue: null, confidence };
  }
  return logRatioTest('welch-t', e.n, e.diff, e.se, e.df, e.tolerance, confidence);
}
