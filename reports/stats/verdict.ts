/**
 * Verdict for one comparison, combining the significance test with the bootstrap
 * interval of the overhead: a difference is reported only when the (multiplicity-
 * adjusted) p-value is below alpha AND the whole overhead CI lies beyond
 * +thresholdPct (slower) or below -thresholdPct (faster).
 */

/** Outcome of comparing a variant against its baseline. */
export type Verdict = 'slower' | 'faster' | 'no difference detected';

/** Inputs of verdict. */
export interface VerdictInput {
  /** Adjusted p-value of the comparison (e.g. Holm-adjusted Mann-Whitney p). */
  pAdjusted: number;
  /** Confidence interval of the overhead in percent, [lo, hi] (e.g. RatioOfMedians.overheadPctCI). */
  ciPct: readonly [number, number];
  /** Significance level; default 0.05. */
  alpha?: number;
  /** Smallest overhead worth reporting, in percent (>= 0); default 0. */
  thresholdPct?: number;
}

/** 'slower' / 'faster' when significant and the CI clears the threshold, else 'no difference detected'. */
export function verdict({ pAdjusted, ciPct, alpha = 0.05, thresholdPct = 0 }: VerdictInput): Verdict {
  const [lo, hi] = ciPct;
  if (!(pAdjusted >= 0 && pAdjusted <= 1)) throw new Error(`verdict: pAdjusted must be in [0, 1], got ${pAdjusted}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`verdict: alpha must be strictly between 0 and 1, got ${alpha}`);
  if (!(thresholdPct >= 0 && Number.isFinite(thresholdPct))) {
    throw new Error(`verdict: thresholdPct must be a finite number >= 0, got ${thresholdPct}`);
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new Error(`verdict: ciPct must be a finite interval [lo, hi] with lo <= hi, got [${lo}, ${hi}]`);
  }
  if (pAdjusted >= alpha) return 'no difference detected';
  if (lo > thresholdPct) return 'slower';
  if (hi < -thresholdPct) return 'faster';
  return 'no difference detected';
}
