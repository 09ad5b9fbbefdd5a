/**
 * The gate's decision, at one error rate. A change is tested against the
 * threshold, not against 0, by one-sided tests at alpha:
 * - regressed: H0 "change <= +threshold" rejected;
 * - improved: H0 "change >= -threshold" rejected;
 * - no change: both H0 "change >= +threshold" and "change <= -threshold"
 *   rejected (two one-sided tests, TOST: the change lies within the threshold);
 * - inconclusive: none of these.
 * Each family's p-values are Holm-adjusted over the gated scenarios, so the
 * chance that the gate fails a change that stays within the threshold in
 * every scenario is at most alpha. The interval shown is at level
 * 1 - 2 alpha: each of its bounds is a one-sided test at alpha (before Holm),
 * so a lower bound above the threshold is what "regressed" means for one
 * scenario tested alone.
 */

import { holmBonferroni, mannWhitneyU, noncentralityForPower, normalQuantile, sdBiasFactor, studentTQuantile, studentTSf } from '../stats/index.ts';
import type { LogEstimate } from './boot-compare.ts';

/** One-sided p-values of a scenario's change against the threshold. */
export interface ThresholdTests {
  /** H0: change <= +threshold. */
  regressed: number;
  /** H0: change >= -threshold. */
  improved: number;
  /** TOST: the larger of the p-values of H0 change >= +threshold and H0 change <= -threshold. */
  equivalent: number;
}

/** The gate's decision for one scenario. */
export type GateVerdict = 'regressed' | 'improved' | 'no change' | 'inconclusive';

/** The power at which the minimum detectable effect is stated. */
export const POWER = 0.8;

/** The level of the interval that matches one-sided tests at alpha. */
export const intervalLevel = (alpha: number) => 1 - 2 * alpha;

/** P(T > x / se) for T ~ t(df); with no spread, a point: 0 beyond it, 1 at or below it. */
function tTail(x: number, se: number, df: number): number {
  if (Number.isNaN(x)) return 1;
  if (se === 0) return x > 0 ? 0 : 1;
  return Math.min(1, Math.max(0, studentTSf(x / se, df)));
}

/** The threshold tests of a log-scale estimate; up and down are +threshold and -threshold on the log scale. */
export function tThresholdTests(e: LogEstimate, up: number, down: number): ThresholdTests {
  return {
    regressed: tTail(e.est - up, e.se, e.df),
    improved: tTail(down - e.est, e.se, e.df),
    equivalent: Math.max(tTail(up - e.est, e.se, e.df), tTail(e.est - down, e.se, e.df)),
  };
}

/** The interval of a log-scale estimate at the given level. */
export function tIntervalAt(e: LogEstimate, level: number): [number, number] {
  if (e.se === 0) return [e.est, e.est];
  const q = studentTQuantile(1 - (1 - level) / 2, e.df);
  return [e.est - q * e.se, e.est + q * e.se];
}

/**
 * The smallest true change (log scale) the regression test flags with
 * probability POWER, at the first and strictest of Holm's steps (alpha / m):
 * up + ncp se, ncp the noncentrality at which the one-sided t test has that
 * power (stats/noncentral-t.ts). ncp is in units of the true standard error,
 * and `e.se` is an estimate from the sample sd, which falls short of the true
 * sd by the factor c4 on average (stats/student-t.ts sdBiasFactor; 0.978 at 11
 * df), so se / c4 stands in for it. Without that the stated change was found
 * 76.0 and 74.0 % of the time in the gate's calibration (run
 * 2026-12-03T22-24-07Z-jyw), with it 79.5 and 79.0 % (the same draws). The
 * usual shortcut, (t(1 - alpha/m) + t(POWER)) se, fell further short.
 */
export function tMinimumDetectable(e: LogEstimate, up: number, alpha: number, m: number): number {
  if (e.se === 0) return up;
  return up + noncentralityForPower(studentTQuantile(1 - alpha / m, e.df), e.df, POWER) * (e.se / sdBiasFactor(e.df));
}

/** One-sided Mann-Whitney p-value that a tends to be larger than b (from the two-sided, whose null is symmetric). */
function greater(a: readonly number[], b: readonly number[]): number {
  const r = mannWhitneyU(a, b);
  return r.u > (a.length * b.length) / 2 ? r.pValue / 2 : Math.min(1, 1 - r.pValue / 2);
}

/**
 * The threshold tests over samples, for one layout: `shifted(t)` gives the
 * current samples moved by a change of t (in the metric's unit) back towards
 * the old ones, so that comparing them with `old` tests against t.
 */
export function samplesThresholdTests(old: readonly number[], shifted: (t: number) => number[], threshold: number): ThresholdTests {
  const up = shifted(threshold);
  const down = shifted(-threshold);
  return {
    regressed: greater(up, old),
    improved: greater(old, down),
    equivalent: Math.max(greater(old, up), greater(down, old)),
  };
}

/** The same for an interval in the metric's unit (a bootstrap's): its half-width at level 1 - 2 alpha read as a normal standard error. */
export function intervalMinimumDetectable(ci: [number, number], threshold: number, alpha: number, m: number): number {
  const se = (ci[1] - ci[0]) / (2 * normalQuantile(1 - alpha));
  return threshold + (normalQuantile(1 - alpha / m) + normalQuantile(POWER)) * se;
}

/** Holm within each family, then the verdicts: regressed before improved before no change. */
export function decide(tests: ThresholdTests[], alpha: number): { adjusted: ThresholdTests[]; verdicts: GateVerdict[] } {
  const family = (k: keyof ThresholdTests) => holmBonferroni(tests.map((t) => t[k]));
  const reg = family('regressed');
  const imp = family('improved');
  const eq = family('equivalent');
  const adjusted = tests.map((_, i) => ({ regressed: reg[i]!, improved: imp[i]!, equivalent: eq[i]! }));
  const verdicts = adjusted.map((p): GateVerdict => (p.regressed < alpha ? 'regressed' : p.improved < alpha ? 'improved' : p.equivalent < alpha ? 'no change' : 'inconclusive'));
  return { adjusted, verdicts };
}
