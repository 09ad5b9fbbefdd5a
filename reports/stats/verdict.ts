/**
 * Verdict for one comparison. A difference is reported only when the
 * (multiplicity-adjusted) p-value is below alpha AND the whole interval of
 * the overhead lies beyond +thresholdPct (slower) or below -thresholdPct
 * (faster). "No difference" is never read from a test that failed to reject:
 * a comparison is "equivalent" only when an equivalence test shows it within
 * ±marginPct (two one-sided tests: the interval at 1 - 2 alpha', whose
 * bounds are those tests, lies inside the margin), and "inconclusive" when
 * neither was shown.
 */

/** Outcome of comparing a variant against its baseline. */
export type Verdict = 'slower' | 'faster' | 'equivalent' | 'inconclusive';

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
  /** The interval whose bounds are the equivalence test's two one-sided tests; none: equivalence is not tested. */
  equivalenceCiPct?: readonly [number, number] | null;
  /** Equivalence margin in percent (> 0). */
  marginPct?: number;
}

function assertInterval(name: string, [lo, hi]: readonly [number, number]): void {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new Error(`verdict: ${name} must be a finite interval [lo, hi] with lo <= hi, got [${lo}, ${hi}]`);
  }
}

/** 'slower' / 'faster' when significant and the CI clears the threshold; 'equivalent' when shown within the margin; else 'inconclusive'. */
export function verdict({ pAdjusted, ciPct, alpha = 0.05, thresholdPct = 0, equivalenceCiPct = null, marginPct = 0 }: VerdictInput): Verdict {
  const [lo, hi] = ciPct;
  if (!(pAdjusted >= 0 && pAdjusted <= 1)) throw new Error(`verdict: pAdjusted must be in [0, 1], got ${pAdjusted}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`verdict: alpha must be strictly between 0 and 1, got ${alpha}`);
  if (!(thresholdPct >= 0 && Number.isFinite(thresholdPct))) {
    throw new Error(`verdict: thresholdPct must be a finite number >= 0, got ${thresholdPct}`);
  }
  if (!(marginPct >= 0 && Number.isFinite(marginPct))) throw new Error(`verdict: marginPct must be a finite number >= 0, got ${marginPct}`);
  assertInterval('ciPct', ciPct);
  if (equivalenceCiPct) assertInterval('equivalenceCiPct', equivalenceCiPct);
  if (pAdjusted < alpha && lo > thresholdPct) return 'slower';
  if (pAdjusted < alpha && hi < -thresholdPct) return 'faster';
  if (equivalenceCiPct && marginPct > 0 && equivalenceCiPct[0] > -marginPct && equivalenceCiPct[1] < marginPct) return 'equivalent';
  return 'inconclusive';
}
