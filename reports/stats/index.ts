/**
 * Statistics for exec() benchmark reports: plain functions over arrays of
 * nanoseconds-per-exec samples. See each module's header for its method.
 */

export { describe, MAD_SCALE } from './describe.ts';
export type {
  DescribeOptions,
  Description,
  MedianCI,
  OutlierSide,
  Percentiles,
  TukeyFences,
  TukeyOutliers,
} from './describe.ts';
export { medianCIOrders } from './median-ci.ts';
export type { MedianCIOrders } from './median-ci.ts';
export { bootstrapRatioOfMedians } from './bootstrap.ts';
export type { BootstrapOptions, Interval, RatioOfMedians } from './bootstrap.ts';
export { mannWhitneyU, EXACT_MAX_PAIRS } from './mann-whitney.ts';
export type { MannWhitneyMethod, MannWhitneyOptions, MannWhitneyResult } from './mann-whitney.ts';
export { holmBonferroni } from './holm.ts';
export { verdict } from './verdict.ts';
export type { Verdict, VerdictInput } from './verdict.ts';
export { erfc, normalCdf, normalQuantile, normalSf } from './normal.ts';
export { mulberry32 } from '../../lib/prng.ts';
export type { Rng } from '../../lib/prng.ts';
export { sdBiasFactor, studentTCdf, studentTQuantile, studentTSf } from './student-t.ts';
export { noncentralityForPower, noncentralTSf } from './noncentral-t.ts';
export { geometricMeanCI, pairedLogDiff, pairedLogRatio, welchLogDiff, welchLogRatio } from './boot-level.ts';
export type { GeoMeanCI, LogDiffEstimate, RatioTest } from './boot-level.ts';
export { changePoint, changePointPooled, isSteady, MIN_POOLED_RESIDUALS, MIN_SAMPLES_WITHIN_BOOT, relativeResiduals, steadyChecks, STEADY_ALPHA, STEADY_MIN_SHIFT_PCT } from './change-point.ts';
export type { ChangePoint, ChangePointOptions, SteadyCheck, SteadyMethod } from './change-point.ts';
export { clusterMeans } from './clusters.ts';
