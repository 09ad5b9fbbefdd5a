/**
 * The gate's statistics: each scenario of the baseline against the same
 * scenario of the current run, by one of two metrics.
 * - absolute: delta % = (new / old - 1) * 100 of the scenario's figure;
 * - overhead: the change of the scenario's overhead over the baseline
 *   scenario, in percentage points. The baseline scenario itself is not gated.
 * At boot level (random layouts, boot-compare.ts) on the logs of boot
 * medians with t tests; within one layout (fixed layout, or one boot) over
 * samples, with a bootstrap interval and Mann-Whitney U. Either way the
 * change is tested against the threshold at alpha, Holm over the gated
 * scenarios (decide.ts).
 */

import { median } from 'simple-statistics';
import { usageError } from '../../lib/errors.ts';
import { bootstrapRatioOfMedians, mannWhitneyU, steadyChecks } from '../stats/index.ts';
import { distinctBoots } from '../boots.ts';
import type { Baseline } from './baseline.ts';
import { absoluteChange, bootLevel, overheadChange, runOverhead, type LogEstimate } from './boot-compare.ts';
import { decide, intervalLevel, intervalMinimumDetectable, samplesThresholdTests, tIntervalAt, tMinimumDetectable, tThresholdTests, type GateVerdict, type ThresholdTests } from './decide.ts';
import { bootstrapOverheadDelta } from './overhead-delta.ts';

/** What is compared: each scenario's median (absolute) or its overhead over the baseline scenario (overhead). */
export type Metric = 'overhead' | 'absolute';

export type { GateVerdict } from './decide.ts';

/** The statistical settings of a comparison. */
export interface CompareOptions {
  metric: Metric;
  /** Smallest change that counts: percent (absolute) or percentage points (overhead), >= 0. */
  thresholdPct: number;
  /** Error rate of each of the gate's decisions (Holm over the gated scenarios), in (0, 0.5). */
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

/** Which of a scenario's figures a result is about: its CPU cost or its exec latency (reports/latency.ts). */
export type Figure = 'cpu' | 'latency';

/** One scenario's result; the statistics are null for a scenario that is not gated. */
export interface ScenarioResult {
  name: string;
  /** Set by the gate when it compares more than the CPU cost. */
  figure?: Figure;
  /** gated; the overhead metric's baseline scenario (not gated); or new in the current run (not gated). */
  role: 'gated' | 'baseline scenario' | 'new';
  kernel: string;
  old: Side | null;
  new: Side;
  /** Percent (absolute) or percentage points (overhead). */
  delta: number | null;
  /** Interval of delta at level 1 - 2 alpha (the report's options.confidence): each bound a one-sided test at alpha. */
  ci: [number, number] | null;
  /** One-sided p-values against the threshold (decide.ts). */
  p: ThresholdTests | null;
  /** The same, Holm-adjusted over the gated scenarios within each family: what the verdict reads. */
  p_holm: ThresholdTests | null;
  /** The smallest true change (same unit as delta) the gate flags as regressed with 80 % power. */
  detectable: number | null;
  test: 'mann-whitney' | 't' | null;
  /** boot-paired / boot-welch: at boot level (boot-compare.ts); samples: within one layout, over samples. */
  method: 'boot-paired' | 'boot-welch' | 'samples' | null;
  /** Seeds paired, boots, or samples the interval is over. */
  units: number | null;
  /** Present where seeds shared kernel links: units counts links (boot-compare.ts byLink). */
  over_links?: true;
  verdict: GateVerdict | 'not gated';
}

/** All scenarios' results and what a reader should know about them. */
export interface Comparison {
  /** Baseline scenarios in baseline order, then new ones in current-run order. */
  scenarios: ScenarioResult[];
  /** E.g. sample sizes too small to ever reach alpha. */
  notes: string[];
}

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
  tests: ThresholdTests;
  /** The minimum detectable change for m gated scenarios. */
  detectable: (m: number) => number;
  test: 'mann-whitney' | 't';
  method: 'boot-paired' | 'boot-welch' | 'samples';
  units: number;
  overLinks?: boolean;
}

/** A metric's unit against the log scale: toUnit(d) for a change d of the log, fromUnit(x) its inverse. */
interface Scale {
  toUnit: (d: number) => number;
  fromUnit: (x: number) => number;
}

/** Percent of the figure itself; for overheads, percentage points of an overhead ratio r: 100 (r e^d - r). */
const scaleOf = (r: number): Scale => ({
  toUnit: (d) => r * (Math.exp(d) - 1) * 100,
  // A fall of the threshold larger than the whole overhead is not possible: -Infinity.
  fromUnit: (x) => (1 + x / (100 * r) > 0 ? Math.log(1 + x / (100 * r)) : -Infinity),
});

function bootRaw(name: string, kernel: string, old: Side, cur: Side, e: LogEstimate, scale: Scale, opts: CompareOptions): Raw {
  const up = scale.fromUnit(opts.thresholdPct);
  const down = scale.fromUnit(-opts.thresholdPct);
  const ci = tIntervalAt(e, intervalLevel(opts.alpha));
  return {
    name, kernel, old, new: cur,
    delta: scale.toUnit(e.est), ci: [scale.toUnit(ci[0]), scale.toUnit(ci[1])],
    tests: tThresholdTests(e, up, down),
    detectable: (m) => scale.toUnit(tMinimumDetectable(e, up, opts.alpha, m)),
    test: 't', method: e.paired ? 'boot-paired' : 'boot-welch', units: e.units, overLinks: e.overLinks,
  };
}

function bootAbsolute(name: string, kernel: string, old: Baseline, cur: Baseline, opts: CompareOptions): Raw {
  const e = absoluteChange(old, cur, name);
  return bootRaw(name, kernel, side(old.scenarios[name]!.samples_ns), side(cur.scenarios[name]!.samples_ns), e, scaleOf(1), opts);
}

function bootOverhead(name: string, kernel: string, old: Baseline, cur: Baseline, base: string, opts: CompareOptions): Raw {
  const rOld = Math.exp(runOverhead(old, name, base).est);
  const rNew = Math.exp(runOverhead(cur, name, base).est);
  const e = overheadChange(old, cur, name, base);
  return bootRaw(name, kernel, side(old.scenarios[name]!.samples_ns, (rOld - 1) * 100), side(cur.scenarios[name]!.samples_ns, (rNew - 1) * 100), e, scaleOf(rOld), opts);
}

function absolute(name: string, kernel: string, old: number[], cur: number[], opts: CompareOptions): Raw {
  const level = intervalLevel(opts.alpha);
  const r = bootstrapRatioOfMedians(old, cur, { resamples: opts.resamples, seed: opts.seed, confidence: level });
  const ci: [number, number] = [r.overheadPctCI[0], r.overheadPctCI[1]];
  return {
    name, kernel, old: side(old), new: side(cur), delta: r.overheadPct, ci,
    tests: samplesThresholdTests(old, (t) => cur.map((x) => x / (1 + t / 100)), opts.thresholdPct),
    detectable: (m) => intervalMinimumDetectable(ci, opts.thresholdPct, opts.alpha, m),
    test: 'mann-whitney', method: 'samples', units: old.length + cur.length,
  };
}

function overhead(name: string, kernel: string, g: { old: number[]; oldBase: number[]; cur: number[]; curBase: number[] }, opts: CompareOptions): Raw {
  const d = bootstrapOverheadDelta(
    { oldScenario: g.old, oldBase: g.oldBase, newScenario: g.cur, newBase: g.curBase },
    { resamples: opts.resamples, seed: opts.seed, confidence: intervalLevel(opts.alpha) },
  );
  const oldM = median(g.oldBase);
  const curM = median(g.curBase);
  const ci: [number, number] = [d.deltaPpCI[0], d.deltaPpCI[1]];
  const curRatio = g.cur.map((x) => x / curM);
  return {
    name, kernel, old: side(g.old, d.oldPct), new: side(g.cur, d.newPct), delta: d.deltaPp, ci,
    tests: samplesThresholdTests(g.old.map((x) => x / oldM), (t) => curRatio.map((x) => x - t / 100), opts.thresholdPct),
    detectable: (m) => intervalMinimumDetectable(ci, opts.thresholdPct, opts.alpha, m),
    test: 'mann-whitney', method: 'samples', units: g.old.length + g.cur.length,
  };
}

/** A scenario's samples, each boot that repeats another value for value counted once (boots.ts). */
const distinctSamples = (b: Baseline, name: string) => distinctBoots(b.scenarios[name]!.boots.map((bt) => bt.samples_ns)).values;


/**
 * Compares every scenario both runs have. Scenarios the baseline has and the
 * current run lacks must have been refused before (see depends.ts).
 */
export function compareRuns(baseline: Baseline, current: Baseline, opts: CompareOptions): Comparison {
  const base = baseline.baseline_scenario;
  const samples = (b: Baseline, name: string) => distinctSamples(b, name);
  const names = Object.keys(baseline.scenarios).filter((n) => n in current.scenarios);
  // A scenario with a baseline of its own (in both runs) is gated against it; the rest against base.
  const baseOf = (name: string) => {
    const own = baseline.scenarios[name]?.baseline;
    return own !== undefined && own === current.scenarios[name]?.baseline && own in current.scenarios ? own : base;
  };
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
    if (opts.metric === 'absolute') {
      return bootLevel(baseline, current, [name]) ? bootAbsolute(name, kernel, baseline, current, opts) : absolute(name, kernel, samples(baseline, name), samples(current, name), opts);
    }
    const b = baseOf(name);
    if (bootLevel(baseline, current, [name, b])) return bootOverhead(name, kernel, baseline, current, b, opts);
    return overhead(name, kernel, { old: samples(baseline, name), oldBase: samples(baseline, b), cur: samples(current, name), curBase: samples(current, b) }, opts);
  });
  const { adjusted, verdicts } = decide(raw.map((r) => r.tests), opts.alpha);
  const gated = new Map(raw.map((r, i): [string, ScenarioResult] => [r.name, {
    name: r.name, role: 'gated', kernel: r.kernel, old: r.old, new: r.new, delta: r.delta, ci: r.ci, p: r.tests, p_holm: adjusted[i]!,
    detectable: r.detectable(raw.length), test: r.test, method: r.method, units: r.units, ...(r.overLinks && { over_links: true as const }), verdict: verdicts[i]!,
  }]));

  // Under the overhead metric, a side that is not gated still shows its overhead (0 for the baseline scenario).
  const sideOf = (b: Baseline, name: string) => {
    const xs = samples(b, name);
    const against = baseOf(name);
    const pct = opts.metric === 'overhead' && against in b.scenarios ? (median(xs) / median(samples(b, against)) - 1) * 100 : null;
    return side(xs, pct);
  };
  const notGated = (name: string, role: 'baseline scenario' | 'new'): ScenarioResult => ({
    name, role, kernel: current.scenarios[name]!.kernel,
    old: role === 'new' ? null : sideOf(baseline, name), new: sideOf(current, name),
    delta: null, ci: null, p: null, p_holm: null, detectable: null, test: null, method: null, units: null, verdict: 'not gated',
  });
  const scenarios = [
    ...names.map((n) => gated.get(n) ?? notGated(n, 'baseline scenario')),
    ...Object.keys(current.scenarios).filter((n) => !(n in baseline.scenarios)).map((n) => notGated(n, 'new')),
  ];

  const notes: string[] = [];
  const own = opts.metric === 'overhead' ? gatedNames.filter((n) => baseOf(n) !== base) : [];
  if (own.length) notes.push(`Overheads against a baseline of their own (the matrix's per-scenario baseline): ${own.map((n) => `${n} vs ${baseOf(n)}`).join(', ')}.`);
  for (const [which, b] of [['baseline', baseline], ['current run', current]] as const) {
    if (b.depends_on.layout === 'fixed') {
      notes.push(`The ${which} has a fixed layout: its intervals cover sampling noise within one memory layout, not the variation between layouts, so a change it flags may be a change of layout alone.`);
      const repeated = names.filter((n) => distinctSamples(b, n).length < b.scenarios[n]!.samples_ns.length);
      if (repeated.length) notes.push(`The ${which}: boots that repeat another boot's samples value for value (one fixed layout, the same instructions) are counted once, in ${repeated.join(', ')}.`);
    }
    const few = Object.entries(b.scenarios).filter(([n, x]) => names.includes(n) && b.depends_on.layout === 'random' && x.boots.length < 3).map(([n, x]) => `${n} (${x.boots.length})`);
    if (few.length) notes.push(`The ${which} has fewer than 3 boots for ${few.join(', ')}: ${few.some((f) => f.endsWith('(1)')) ? 'with one boot the interval covers one layout only; ' : ''}so few layouts say little about how layouts vary, and the interval does not cover that variation.`);
    for (const [n, x] of Object.entries(b.scenarios)) {
      if (!names.includes(n)) continue;
      const checks = steadyChecks(x.boots.map((bt) => bt.samples_ns));
      const unsteady = x.boots.filter((_, i) => checks[i]!.steady === false).map((bt) => (bt.seed === null ? '?' : String(bt.seed)));
      if (unsteady.length) notes.push(`${n} in the ${which}: boot${unsteady.length > 1 ? 's' : ''} of seed ${unsteady.join(', ')} not in steady state (their samples change level by 0.5 % or more); kept in the comparison.`);
    }
  }
  for (const r of raw) {
    if (r.method !== 'samples') continue;
    const floor = smallestP(r.old.n, r.new.n) / 2;
    if (floor >= opts.alpha) {
      notes.push(`${r.name}: with ${r.old.n} and ${r.new.n} samples the smallest possible one-sided p is ${floor.toPrecision(2)}, not below alpha ${opts.alpha}; the gate cannot decide this scenario (take more samples)`);
    }
  }
  return { scenarios, notes };
}
