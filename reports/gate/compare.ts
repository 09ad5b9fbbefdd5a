/**
 * The gate's statistics: each scenario of the baseline against the same
 * scenario of the current run, by one of two metrics.
 * - absolute: delta % = (median_new / median_old - 1) * 100, CI from
 *   bootstrapRatioOfMedians(old, new), p from mannWhitneyU(new, old).
 * - overhead: the change of the scenario's overhead over the baseline scenario,
 *   in percentage points (overhead-delta.ts); p from mannWhitneyU on the samples
 *   divided by their run's baseline-scenario median. The baseline scenario
 *   itself is not gated.
 * Holm-Bonferroni runs over the gated scenarios; verdict() with thresholdPct
 * decides, its words mapped to regressed / improved / no change.
 */

import { median } from 'simple-statistics';
import { usageError } from '../../bench/errors.ts';
import { bootstrapRatioOfMedians, holmBonferroni, mannWhitneyU, verdict, type Verdict } from '../stats/index.ts';
import type { Baseline } from './baseline.ts';
import { bootstrapOverheadDelta } from './overhead-delta.ts';

/** What is compared: each scenario's median (absolute) or its overhead over the baseline scenario (overhead). */
export type Metric = 'overhead' | 'absolute';

/** The gate's decision for one scenario. */
export type GateVerdict = 'regressed' | 'improved' | 'no change';

/** Confidence level of every interval the gate reports. */
export const CONFIDENCE = 0.95;

/** The statistical settings of a comparison. */
export interface CompareOptions {
  metric: Metric;
  /** Smallest change that counts: percent (absolute) or percentage points (overhead), >= 0. */
  thresholdPct: number;
  /** Significance level for the Holm-adjusted p-values, in (0, 1). */
  alpha: number;
  /** Bootstrap resamples. */
  resamples: number;
  /** Bootstrap seed. */
  seed: number;
}

/** One side (baseline or current) of a scenario's comparison. */
export interface Side {
  /** Measured samples. */
  n: number;
  median_ns: number;
  /** Overhead over the baseline scenario in percent; overhead metric only, null otherwise. */
  overhead_pct: number | null;
}

/** One scenario's result; the statistics are null for a scenario that is not gated. */
export interface ScenarioResult {
  name: string;
  /** gated; the overhead metric's baseline scenario (not gated); or new in the current run (not gated). */
  role: 'gated' | 'baseline scenario' | 'new';
  kernel: string;
  old: Side | null;
  new: Side;
  /** Percent (absolute) or percentage points (overhead). */
  delta: number | null;
  /** 95 % percentile-bootstrap CI of delta. */
  ci95: [number, number] | null;
  /** Two-sided Mann-Whitney U. */
  p_value: number | null;
  /** Holm-Bonferroni over the gated scenarios. */
  p_adjusted: number | null;
  test: 'exact' | 'normal' | null;
  verdict: GateVerdict | 'not gated';
}

/** All scenarios' results and what a reader should know about them. */
export interface Comparison {
  /** Baseline scenarios in baseline order, then new ones in current-run order. */
  scenarios: ScenarioResult[];
  /** E.g. sample sizes too small to ever reach alpha. */
  notes: string[];
}

const WORDS: Record<Verdict, GateVerdict> = { slower: 'regressed', faster: 'improved', 'no difference detected': 'no change' };

const side = (xs: readonly number[], overheadPct: number | null = null): Side => ({ n: xs.length, median_ns: median(xs as number[]), overhead_pct: overheadPct });

/** The smallest two-sided p-value Mann-Whitney U can give for these group sizes (completely separated groups). */
export function smallestP(n1: number, n2: number): number {
  const a = Array.from({ length: n1 }, (_, i) => i);
  const b = Array.from({ length: n2 }, (_, i) => n1 + i);
  return mannWhitneyU(a, b).pValue;
}

interface Raw {
  name: string;
  kernel: string;
  old: Side;
  new: Side;
  delta: number;
  ci: [number, number];
  p: number;
  test: 'exact' | 'normal';
}

function absolute(name: string, kernel: string, old: number[], cur: number[], opts: CompareOptions): Raw {
  const r = bootstrapRatioOfMedians(old, cur, { resamples: opts.resamples, seed: opts.seed, confidence: CONFIDENCE });
  const t = mannWhitneyU(cur, old);
  return { name, kernel, old: side(old), new: side(cur), delta: r.overheadPct, ci: [r.overheadPctCI[0], r.overheadPctCI[1]], p: t.pValue, test: t.method };
}

function overhead(name: string, kernel: string, g: { old: number[]; oldBase: number[]; cur: number[]; curBase: number[] }, opts: CompareOptions): Raw {
  const d = bootstrapOverheadDelta(
    { oldScenario: g.old, oldBase: g.oldBase, newScenario: g.cur, newBase: g.curBase },
    { resamples: opts.resamples, seed: opts.seed, confidence: CONFIDENCE },
  );
  const oldM = median(g.oldBase);
  const curM = median(g.curBase);
  const t = mannWhitneyU(g.cur.map((x) => x / curM), g.old.map((x) => x / oldM));
  return { name, kernel, old: side(g.old, d.oldPct), new: side(g.cur, d.newPct), delta: d.deltaPp, ci: [d.deltaPpCI[0], d.deltaPpCI[1]], p: t.pValue, test: t.method };
}

/**
 * Compares every scenario both runs have. Scenarios the baseline has and the
 * current run lacks must have been refused before (see depends.ts).
 */
export function compareRuns(baseline: Baseline, current: Baseline, opts: CompareOptions): Comparison {
  const base = baseline.baseline_scenario;
  const samples = (b: Baseline, name: string) => b.scenarios[name]!.samples_ns;
  const names = Object.keys(baseline.scenarios).filter((n) => n in current.scenarios);
  if (opts.metric === 'overhead') {
    for (const [which, b] of [['baseline', baseline], ['current run', current]] as const) {
      if (!(base in b.scenarios)) {
        throw usageError(`the ${which} has no samples of the baseline scenario ${base}, which the overhead metric divides by; use --metric absolute`);
      }
    }
  }
  const gatedNames = opts.metric === 'overhead' ? names.filter((n) => n !== base) : names;
  const raw = gatedNames.map((name) => {
    const kernel = current.scenarios[name]!.kernel;
    return opts.metric === 'absolute'
      ? absolute(name, kernel, samples(baseline, name), samples(current, name), opts)
      : overhead(name, kernel, { old: samples(baseline, name), oldBase: samples(baseline, base), cur: samples(current, name), curBase: samples(current, base) }, opts);
  });
  const adjusted = holmBonferroni(raw.map((r) => r.p));
  const gated = new Map(raw.map((r, i): [string, ScenarioResult] => {
    const pAdj = adjusted[i]!;
    const v = verdict({ pAdjusted: pAdj, ciPct: r.ci, alpha: opts.alpha, thresholdPct: opts.thresholdPct });
    return [r.name, { name: r.name, role: 'gated', kernel: r.kernel, old: r.old, new: r.new, delta: r.delta, ci95: r.ci, p_value: r.p, p_adjusted: pAdj, test: r.test, verdict: WORDS[v] }];
  }));

  // Under the overhead metric, a side that is not gated still shows its overhead (0 for the baseline scenario).
  const sideOf = (b: Baseline, name: string) => {
    const xs = samples(b, name);
    const pct = opts.metric === 'overhead' && base in b.scenarios ? (median(xs) / median(samples(b, base)) - 1) * 100 : null;
    return side(xs, pct);
  };
  const notGated = (name: string, role: 'baseline scenario' | 'new'): ScenarioResult => ({
    name, role, kernel: current.scenarios[name]!.kernel,
    old: role === 'new' ? null : sideOf(baseline, name), new: sideOf(current, name),
    delta: null, ci95: null, p_value: null, p_adjusted: null, test: null, verdict: 'not gated',
  });
  const scenarios = [
    ...names.map((n) => gated.get(n) ?? notGated(n, 'baseline scenario')),
    ...Object.keys(current.scenarios).filter((n) => !(n in baseline.scenarios)).map((n) => notGated(n, 'new')),
  ];

  const notes: string[] = [];
  for (const r of raw) {
    const floor = smallestP(r.old.n, r.new.n);
    if (floor >= opts.alpha) {
      notes.push(`${r.name}: with ${r.old.n} and ${r.new.n} samples the smallest possible p is ${floor.toPrecision(2)}, not below alpha ${opts.alpha}; the gate cannot flag this scenario (take more samples)`);
    }
  }
  return { scenarios, notes };
}
