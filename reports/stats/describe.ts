/**
 * One-sample summary: mean, sample sd, median with its order-statistic confidence
 * interval (see median-ci.ts), percentiles, scaled MAD and Tukey outlier counts.
 *
 * Percentiles and quartiles use linear interpolation between order statistics
 * (R type 7, numpy.percentile's default "linear"), via simple-statistics'
 * quantileSorted. MAD is simple-statistics' medianAbsoluteDeviation times 1.4826
 * (consistent with sd for normal data). Outliers follow Tukey: mild beyond the
 * 1.5 IQR fences but within the 3 IQR fences, severe beyond the 3 IQR fences
 * (strictly beyond: a value on a fence is not an outlier). Nothing is dropped.
 */

import { mean, medianAbsoluteDeviation, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import { medianCIOrders } from './median-ci.ts';
import { assertSamples } from './validate.ts';

/** MAD scale factor making the MAD estimate sd for normally distributed data. */
export const MAD_SCALE = 1.4826;

/**
 * Confidence interval of the median. A bound the sample is too small to provide
 * (e.g. n < 6 at 95 %) is null, meaning unbounded (-/+ infinity), so the object
 * serialises to JSON unchanged; `finite` is true only when both bounds are numbers.
 */
export interface MedianCI {
  /** Lower bound (a sample value), or null for -infinity. */
  lo: number | null;
  /** Upper bound (a sample value), or null for +infinity. */
  hi: number | null;
  /** True when both lo and hi are numbers. */
  finite: boolean;
  /** Requested confidence level, e.g. 0.95. */
  confidence: number;
  /** Actual coverage of the chosen order statistics (>= confidence, or 1 when unbounded). */
  coverage: number;
  /** 1-based order statistic used for lo; 0 when lo is null. */
  loOrder: number;
  /** 1-based order statistic used for hi; n + 1 when hi is null. */
  hiOrder: number;
}

/** Percentiles by linear interpolation (R type 7 = numpy.percentile default). */
export interface Percentiles {
  p5: number;
  p25: number;
  p75: number;
  p95: number;
  p99: number;
}

/** Outlier counts on one side of the distribution. */
export interface OutlierSide {
  /** Beyond the 1.5 IQR fence but not beyond the 3 IQR fence. */
  mild: number;
  /** Beyond the 3 IQR fence. */
  severe: number;
}

/** Tukey fences computed from the type-7 quartiles; IQR = p75 - p25. */
export interface TukeyFences {
  /** p25 - 3 IQR. */
  lowerSevere: number;
  /** p25 - 1.5 IQR. */
  lowerMild: number;
  /** p75 + 1.5 IQR. */
  upperMild: number;
  /** p75 + 3 IQR. */
  upperSevere: number;
}

/** Tukey outlier counts (samples are counted, never removed). */
export interface TukeyOutliers {
  /** Mild outliers on both sides. */
  mild: number;
  /** Severe outliers on both sides. */
  severe: number;
  /** Outliers below the lower fences. */
  low: OutlierSide;
  /** Outliers above the upper fences. */
  high: OutlierSide;
  /** The fence values used. */
  fences: TukeyFences;
}

/** Summary of one group of samples. */
export interface Description {
  /** Number of samples. */
  n: number;
  /** Arithmetic mean. */
  mean: number;
  /** Sample standard deviation (n - 1 denominator); null when n = 1. */
  sd: number | null;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** Median (mean of the two middle samples when n is even). */
  median: number;
  /** Order-statistic confidence interval of the median. */
  medianCI: MedianCI;
  /** Selected percentiles. */
  percentiles: Percentiles;
  /** Median absolute deviation from the median, times MAD_SCALE (1.4826). */
  mad: number;
  /** Tukey outlier counts. */
  outliers: TukeyOutliers;
}

/** Options for describe. */
export interface DescribeOptions {
  /** Confidence level of the median CI; default 0.95. */
  confidence?: number;
}

function tukeyOutliers(sorted: readonly number[], p25: number, p75: number): TukeyOutliers {
  const iqr = p75 - p25;
  const fences: TukeyFences = {
    lowerSevere: p25 - 3 * iqr,
    lowerMild: p25 - 1.5 * iqr,
    upperMild: p75 + 1.5 * iqr,
    upperSevere: p75 + 3 * iqr,
  };
  const low: OutlierSide = { mild: 0, severe: 0 };
  const high: OutlierSide = { mild: 0, severe: 0 };
  for (const x of sorted) {
    if (x < fences.lowerSevere) low.severe++;
    else if (x < fences.lowerMild) low.mild++;
    else if (x > fences.upperSevere) high.severe++;
    else if (x > fences.upperMild) high.mild++;
  }
  return { mild: low.mild + high.mild, severe: low.severe + high.severe, low, high, fences };
}

/** Summarise one group of samples; throws on empty input or non-finite values. */
export function describe(samples: readonly number[], options: DescribeOptions = {}): Description {
  assertSamples('describe', samples);
  const confidence = options.confidence ?? 0.95;
  const n = samples.length;
  const sorted = Array.from(Float64Array.from(samples).sort());
  const q = (p: number) => quantileSorted(sorted, p);

  const orders = medianCIOrders(n, confidence);
  const lo = orders.loOrder >= 1 ? (sorted[orders.loOrder - 1] ?? null) : null;
  const hi = orders.hiOrder <= n ? (sorted[orders.hiOrder - 1] ?? null) : null;

  const percentiles: Percentiles = { p5: q(0.05), p25: q(0.25), p75: q(0.75), p95: q(0.95), p99: q(0.99) };
  return {
    n,
    mean: mean(sorted),
    sd: n >= 2 ? sampleStandardDeviation(sorted) : null,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    median: q(0.5),
    medianCI: {
      lo,
      hi,
      finite: lo !== null && hi !== null,
      confidence,
      coverage: orders.coverage,
      loOrder: orders.loOrder,
      hiOrder: orders.hiOrder,
    },
    percentiles,
    mad: medianAbsoluteDeviation(sorted) * MAD_SCALE,
    outliers: tukeyOutliers(sorted, percentiles.p25, percentiles.p75),
  };
}
