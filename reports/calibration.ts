/**
 * Calibration: do the suite's intervals cover what they claim? From a run
 * with many boots of a few scenarios, draw disjoint sets of B boots as a
 * default run would have them, compute each set's interval exactly as the
 * summary does (stats/boot-level.ts), and count how often it covers the
 * estimate from all boots. The same draws give the A/A rate: two disjoint
 * sets of one scenario tested against each other, which should be called
 * different at most alpha of the time.
 *
 * A set of B boots stands for a run with B seeds: a scenario's set and its
 * baseline's share their seeds, as the scenarios of one run do, so that an
 * overhead is paired by seed (pairedLogRatio), whatever the kernels, as in
 * summary.ts. The A/A sets have no seed in common: Welch's test.
 */

import { usageError } from '../lib/errors.ts';
import type { LoadedRun } from './load.ts';
import { bootSeries, linkUnits } from './boots.ts';
import { shuffled } from '../lib/prng.ts';
import { geometricMeanCI, mulberry32, pairedLogRatio, welchLogRatio, type Rng } from './stats/index.ts';

export interface CalibrationOptions {
  /** Boots per drawn set: the B of a run. */
  bootsPerSet: number;
  /** Random partitions of the boots into disjoint sets. */
  partitions: number;
  /** Nominal level of the intervals. */
  confidence: number;
  /** Level of the A/A test. */
  alpha: number;
  seed: number;
  /** The scenario overheads are taken against. */
  baseline: string;
}

/** How often one kind of interval covered the estimate from all boots. */
export interface Coverage {
  /** Intervals drawn (sets over all partitions). */
  intervals: number;
  covered: number;
  /** covered / intervals. */
  rate: number;
  /** Mean half-width of the intervals, in % of the estimate. */
  halfWidthPct: number;
  /** The estimate from all boots: µs per exec for a centre, % for an overhead. */
  estimate: number;
}

/** Boot medians split in two layout modes where their largest gap says so; null when they form one. */
export interface Modes {
  /** Share of boots in the upper mode. */
  upperShare: number;
  /** Relative distance of the upper mode's centre above the lower's, in %. */
  gapPct: number;
  /** Seeds of the boots in the upper mode. */
  upperSeeds: number[];
}

export interface ScenarioCalibration {
  name: string;
  kernel: string;
  boots: number;
  /** sd of ln(boot median), in %: the spread between layouts. */
  betweenSdPct: number;
  /** Median within-boot sd of ln(sample), in %: the noise of one layout. */
  withinSdPct: number;
  modes: Modes | null;
  centre: Coverage;
  /** Against the baseline; null for the baseline itself. */
  overhead: (Coverage & { method: 'paired-t' }) | null;
  /** A/A: tests of two disjoint sets of this scenario, and how many were called different at alpha. */
  aa: { tests: number; different: number; rate: number };
}

export interface Calibration {
  run: string;
  options: CalibrationOptions;
  scenarios: ScenarioCalibration[];
}

/** Disjoint sets of `size` from one random order of `xs` (the remainder is left out). */
function disjointSets<T>(xs: readonly T[], size: number, rng: Rng): T[][] {
  const order = shuffled(xs, rng);
  return Array.from({ length: Math.floor(order.length / size) }, (_, i) => order.slice(i * size, (i + 1) * size));
}

const sd = (xs: readonly number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/**
 * Two modes where the largest gap between sorted log medians is at least 1 %
 * and at least 4 pooled within-mode sds, with at least one boot on each side
 * (a single boot far above the rest is a mode of one: it is still reported).
 */
export function layoutModes(seeds: readonly number[], medians: readonly number[]): Modes | null {
  if (medians.length < 4) return null;
  const order = medians.map((m, i) => ({ l: Math.log(m), seed: seeds[i]! })).sort((a, b) => a.l - b.l);
  // The split falls before index `at`: the largest step between neighbours.
  let at = 1;
  for (let i = 2; i < order.length; i++) if (order[i]!.l - order[i - 1]!.l > order[at]!.l - order[at - 1]!.l) at = i;
  const lower = order.slice(0, at).map((x) => x.l);
  const upper = order.slice(at).map((x) => x.l);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const gap = mean(upper) - mean(lower);
  const pooled = Math.sqrt(((lower.length > 1 ? sd(lower) ** 2 * (lower.length - 1) : 0) + (upper.length > 1 ? sd(upper) ** 2 * (upper.length - 1) : 0)) / Math.max(1, lower.length + upper.length - 2));
  if (gap < Math.log(1.01) || gap < 4 * pooled) return null;
  return { upperShare: upper.length / order.length, gapPct: (Math.exp(gap) - 1) * 100, upperSeeds: order.slice(at).map((x) => x.seed).sort((a, b) => a - b) };
}

/** One kind of interval's coverage over drawn sets. */
function coverage(draws: { lo: number; hi: number; centre: number }[], estimate: number, asPct: (x: number) => number): Coverage {
  const covered = draws.filter((d) => d.lo <= estimate && estimate <= d.hi).length;
  const halfWidthPct = draws.reduce((a, d) => a + (asPct(d.hi) - asPct(d.lo)) / 2, 0) / draws.length;
  return { intervals: draws.length, covered, rate: covered / draws.length, halfWidthPct, estimate };
}

/** Calibration of every scenario of a run with random layouts and many boots. */
export function calibrate(run: LoadedRun, opts: CalibrationOptions): Calibration {
  const series = bootSeries([run]);
  const base = series.get(opts.baseline);
  if (!base) throw usageError(`calibrate: the run has no scenario ${opts.baseline} to take overheads against`);
  const kernelOf = (name: string) => run.samples.find((s) => s.scenario === name)!.kernel;
  const bySeed = (name: string) => new Map(series.get(name)!.map((b) => [b.seed!, b.values]));
  // the kernel link each seed's boot ran: where sets share links, their intervals are over links, as the summary's (boots.ts linkUnits)
  const linkBySeed = (name: string) => new Map(series.get(name)!.map((b) => [b.seed!, b.link]));
  const geo = (xs: readonly number[]) => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length);
  const rng = mulberry32(opts.seed);
  const scenarios: ScenarioCalibration[] = [];
  for (const [name, boots] of series) {
    if (boots.some((b) => b.seed === null)) throw usageError(`calibrate: scenario ${name} has boots without a recorded seed (run.json)`);
    if (boots.length < 2 * opts.bootsPerSet) throw usageError(`calibrate: scenario ${name} has ${boots.length} boots, fewer than two sets of ${opts.bootsPerSet}`);
    const medianOf = (values: number[]) => {
      const s = [...values].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const mine = bySeed(name);
    const baseSeeds = bySeed(opts.baseline);
    const myLinks = linkBySeed(name);
    const baseLinks = linkBySeed(opts.baseline);
    const units = (set: number[]) => linkUnits(set.map((s) => med(mine, s)), set.map((s) => myLinks.get(s))).values;
    const pairKeys = (set: number[]) => set.map((s) => (myLinks.get(s) == null || baseLinks.get(s) == null ? null : `${baseLinks.get(s)}|${myLinks.get(s)}`));
    const seeds = [...mine.keys()].filter((s) => baseSeeds.has(s)).sort((a, b) => a - b);
    const med = (m: Map<number, number[]>, s: number) => medianOf(m.get(s)!);
    const allMedians = [...mine.keys()].map((s) => med(mine, s));
    const overheadAll = pairedLogRatio(seeds.map((s) => med(baseSeeds, s)), seeds.map((s) => med(mine, s))).ratio;
    const centres: { lo: number; hi: number; centre: number }[] = [];
    const overheads: { lo: number; hi: number; centre: number }[] = [];
    let aaTests = 0;
    let aaDifferent = 0;
    for (let p = 0; p < opts.partitions; p++) {
      const sets = disjointSets(seeds, opts.bootsPerSet, rng);
      for (const set of sets) {
        const c = geometricMeanCI(units(set), opts.confidence);
        centres.push({ lo: c.ci![0], hi: c.ci![1], centre: c.centre });
        if (name !== opts.baseline) {
          const b = linkUnits(set.map((s) => med(baseSeeds, s)), pairKeys(set)).values;
          const o = linkUnits(set.map((s) => med(mine, s)), pairKeys(set)).values;
          const t = pairedLogRatio(b, o, opts.confidence);
          if (t.ratioCI) overheads.push({ lo: t.ratioCI[0], hi: t.ratioCI[1], centre: t.ratio });
        }
      }
      for (let i = 0; i + 1 < sets.length; i += 2) {
        const t = welchLogRatio(units(sets[i]!), units(sets[i + 1]!), 1 - opts.alpha);
        if (t.pValue === null) continue;
        aaTests++;
        if (t.pValue < opts.alpha) aaDifferent++;
      }
    }
    const pct = (ratio: number) => (ratio - 1) * 100;
    const withinSds = [...mine.values()].filter((v) => v.length > 1).map((v) => sd(v.map(Math.log)) * 100).sort((a, b) => a - b);
    const over = overheads.length ? coverage(overheads, overheadAll, pct) : null;
    scenarios.push({
      name,
      kernel: kernelOf(name),
      boots: boots.length,
      betweenSdPct: sd(allMedians.map(Math.log)) * 100,
      withinSdPct: withinSds.length ? withinSds[Math.floor(withinSds.length / 2)]! : 0,
      modes: layoutModes([...mine.keys()], allMedians),
      centre: coverage(centres, geo(allMedians), (x) => (x / geo(allMedians) - 1) * 100),
      overhead: over && { ...over, estimate: pct(overheadAll), method: 'paired-t' },
      aa: { tests: aaTests, different: aaDifferent, rate: aaTests ? aaDifferent / aaTests : 0 },
    });
  }
  return { run: run.meta?.runId ?? run.dir, options: opts, scenarios };
}
