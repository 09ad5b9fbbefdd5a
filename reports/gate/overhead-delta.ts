/**
 * Change of a scenario's overhead over its baseline scenario between two runs,
 * in percentage points:
 *   delta = (median(newS) / median(newB) - median(oldS) / median(oldB)) * 100
 * with a seeded percentile-bootstrap CI in which every resample draws all four
 * groups (old and new scenario, old and new baseline scenario) independently
 * with replacement, so the uncertainty of both baseline medians is in the interval.
 * Resampled medians come from the stats module's order-statistic sampler
 * (resampledMedian, see reports/stats/bootstrap.ts), so large groups cost no more
 * than small ones. Percentiles are type 7, as bootstrapRatioOfMedians uses.
 */

import { median, quantileSorted } from 'simple-statistics';
import { resampledMedian } from '../stats/bootstrap.ts';
import { mulberry32, type BootstrapOptions, type Interval } from '../stats/index.ts';
import { assertLevel, assertPositive } from '../stats/validate.ts';

/** The four groups of an overhead comparison, ns per exec. */
export interface OverheadGroups {
  oldScenario: readonly number[];
  oldBase: readonly number[];
  newScenario: readonly number[];
  newBase: readonly number[];
}

/** An overhead change with its bootstrap CI. */
export interface OverheadDelta {
  /** (median(oldScenario) / median(oldBase) - 1) * 100. */
  oldPct: number;
  /** (median(newScenario) / median(newBase) - 1) * 100. */
  newPct: number;
  /** newPct - oldPct, percentage points. */
  deltaPp: number;
  /** Percentile-bootstrap CI of deltaPp. */
  deltaPpCI: Interval;
  confidence: number;
  resamples: number;
  seed: number;
}

/** Overhead change between two runs with a seeded bootstrap CI; all groups non-empty, finite, > 0. */
export function bootstrapOverheadDelta(groups: OverheadGroups, options: BootstrapOptions = {}): OverheadDelta {
  for (const [name, xs] of Object.entries(groups)) assertPositive(`bootstrapOverheadDelta: ${name}`, xs as number[]);
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 42;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrapOverheadDelta: resamples must be a positive integer, got ${resamples}`);
  if (!Number.isInteger(seed)) throw new Error(`bootstrapOverheadDelta: seed must be an integer, got ${seed}`);
  assertLevel('bootstrapOverheadDelta: confidence', confidence);

  const sorted = (xs: readonly number[]) => Float64Array.from(xs).sort();
  const oS = sorted(groups.oldScenario);
  const oB = sorted(groups.oldBase);
  const nS = sorted(groups.newScenario);
  const nB = sorted(groups.newBase);
  const rng = mulberry32(seed);
  const deltas = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) {
    const oldRatio = resampledMedian(oS, rng) / resampledMedian(oB, rng);
    const newRatio = resampledMedian(nS, rng) / resampledMedian(nB, rng);
    deltas[i] = (newRatio - oldRatio) * 100;
  }
  const sortedDeltas = Array.from(deltas.sort());
  const tail = (1 - confidence) / 2;
  const pct = (s: readonly number[], b: readonly number[]) => (median(s as number[]) / median(b as number[]) - 1) * 100;
  const oldPct = pct(groups.oldScenario, groups.oldBase);
  const newPct = pct(groups.newScenario, groups.newBase);
  return {
    oldPct,
    newPct,
    deltaPp: newPct - oldPct,
    deltaPpCI: [quantileSorted(sortedDeltas, tail), quantileSorted(sortedDeltas, 1 - tail)],
    confidence,
    resamples,
    seed,
  };
}
