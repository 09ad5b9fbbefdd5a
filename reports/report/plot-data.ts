/**
 * Aggregation for the plots: a run can hold a million samples, and an SVG with a
 * mark per sample would be unusable, so every plot gets a few hundred rows per
 * scenario computed here (densities, quantiles, box statistics, per-bin ranges).
 * Times come in as ns and leave as µs, the unit of every axis.
 */

import type { LoadedRun } from '../load.ts';
import type { ScenarioSummary, Summary } from '../summary.ts';
import { NS_PER_US, quantileSorted } from './quantile.ts';

/** The samples of one guest boot in the order they were taken, warm-up first. */
export interface BootSeries {
  /** Which run and boot, e.g. "boot 0" or "run-a / boot 0" when runs are merged. */
  label: string;
  ns: Float64Array;
  /** 1 where the sample is a warm-up sample. */
  warmup: Uint8Array;
}

/** All samples of one scenario, arranged for plotting. */
export interface ScenarioSamples {
  name: string;
  /** Measured samples (warm-up excluded), ns, ascending. */
  sorted: Float64Array;
  boots: BootSeries[];
}

/** Groups the samples of `runs` by scenario, in `order`; scenarios not in `order` are left out. */
export function collectSamples(runs: LoadedRun[], order: string[], runLabels: string[]): ScenarioSamples[] {
  // Two passes over the rows, counting then filling typed arrays: with a million samples,
  // growing JS arrays (or an object per sample) costs more than everything else here.
  type Group = { label: string; count: number; filled: number; ns: Float64Array; sample: Float64Array; warmup: Uint8Array };
  const byScenario = new Map<string, Map<string, Group>>(order.map((name) => [name, new Map()]));
  const pass = (fill: boolean) => {
    runs.forEach((run, r) => {
      const prefix = runs.length > 1 ? `${runLabels[r] ?? `run ${r}`} / ` : '';
      // rows come grouped by scenario and boot, so the lookup is redone only when the group changes
      let lastScenario: string | null = null;
      let lastBoot = NaN;
      let g: Group | null = null;
      for (const s of run.samples) {
        if (s.scenario !== lastScenario || s.boot !== lastBoot) {
          lastScenario = s.scenario;
          lastBoot = s.boot;
          const groups = byScenario.get(s.scenario);
          const label = `${prefix}boot ${s.boot}`;
          g = groups?.get(label) ?? null;
          if (groups && !g) {
            groups.set(label, (g = { label, count: 0, filled: 0, ns: new Float64Array(0), sample: new Float64Array(0), warmup: new Uint8Array(0) }));
          }
        }
        if (!g) continue;
        if (!fill) {
          g.count++;
          continue;
        }
        const i = g.filled++;
        g.ns[i] = s.nsPerExec;
        g.sample[i] = s.sample;
        g.warmup[i] = s.warmup ? 1 : 0;
      }
    });
  };
  pass(false);
  for (const groups of byScenario.values()) {
    for (const g of groups.values()) {
      g.ns = new Float64Array(g.count);
      g.sample = new Float64Array(g.count);
      g.warmup = new Uint8Array(g.count);
    }
  }
  pass(true);
  return order.map((name) => {
    const boots = [...byScenario.get(name)!.values()].map(inTakingOrder);
    let measured = 0;
    for (const b of boots) for (let i = 0; i < b.warmup.length; i++) measured += 1 - b.warmup[i]!;
    const sorted = new Float64Array(measured);
    let k = 0;
    for (const b of boots) for (let i = 0; i < b.ns.length; i++) if (!b.warmup[i]) sorted[k++] = b.ns[i]!;
    sorted.sort();
    return { name, sorted, boots };
  });
}

/** Warm-up samples are taken first; the sample column restarts at 0 for the measured ones. */
function inTakingOrder(g: { label: string; ns: Float64Array; sample: Float64Array; warmup: Uint8Array }): BootSeries {
  const n = g.ns.length;
  const before = (i: number, j: number) => g.warmup[j]! - g.warmup[i]! || g.sample[i]! - g.sample[j]!;
  let ordered = true;
  for (let i = 1; i < n && ordered; i++) ordered = before(i - 1, i) <= 0;
  if (ordered) return { label: g.label, ns: g.ns, warmup: g.warmup };
  const idx = Array.from({ length: n }, (_, i) => i).sort(before);
  return { label: g.label, ns: Float64Array.from(idx, (i) => g.ns[i]!), warmup: Uint8Array.from(idx, (i) => g.warmup[i]!) };
}

/** A value to draw as a tick in a strip plot. */
export interface StripPoint {
  scenario: string;
  us: number;
}

/** Every sample when there are at most `max`, else `max` evenly spaced quantiles. */
export function stripPoints(scenarios: ScenarioSamples[], max = 150): StripPoint[] {
  return scenarios.flatMap((s) => {
    const n = s.sorted.length;
    if (n <= max) return Array.from(s.sorted, (v) => ({ scenario: s.name, us: v / NS_PER_US }));
    return Array.from({ length: max }, (_, i) => ({ scenario: s.name, us: quantileSorted(s.sorted, (i + 0.5) / max) / NS_PER_US }));
  });
}

/** One step of an empirical CDF. */
export interface EcdfPoint {
  scenario: string;
  us: number;
  /** Fraction of the samples <= us. */
  fraction: number;
}

/** The ECDF as steps: exact for up to `max` samples, else at `max` + 1 evenly spaced quantiles. */
export function ecdfPoints(scenarios: ScenarioSamples[], max = 300): EcdfPoint[] {
  return scenarios.flatMap((s) => {
    const n = s.sorted.length;
    const rows: EcdfPoint[] = [{ scenario: s.name, us: s.sorted[0]! / NS_PER_US, fraction: 0 }];
    if (n <= max) {
      for (let i = 0; i < n; i++) rows.push({ scenario: s.name, us: s.sorted[i]! / NS_PER_US, fraction: (i + 1) / n });
    } else {
      for (let j = 1; j <= max; j++) rows.push({ scenario: s.name, us: quantileSorted(s.sorted, j / max) / NS_PER_US, fraction: j / max });
    }
    return rows;
  });
}

/** A row of the box plot's data: the box itself or one outlier. */
export type BoxRow =
  | { kind: 'box'; scenario: string; lo: number; q1: number; median: number; q3: number; hi: number }
  | { kind: 'outlier'; scenario: string; us: number };

/**
 * Tukey box plots: quartiles as in the summary (type 7), whiskers to the most extreme
 * samples within 1.5 IQR of the box, and the samples beyond them (at most
 * `maxOutliers` per scenario, evenly spaced over the sorted outliers, extremes kept).
 */
export function boxRows(summary: Summary, scenarios: ScenarioSamples[], maxOutliers = 60): BoxRow[] {
  return scenarios.flatMap((s): BoxRow[] => {
    const stats = summary.scenarios.find((c) => c.name === s.name);
    if (!stats) return [];
    const iqr = stats.p75_ns - stats.p25_ns;
    const first = lowerBound(s.sorted, stats.p25_ns - 1.5 * iqr);
    const last = upperBound(s.sorted, stats.p75_ns + 1.5 * iqr) - 1;
    const box: BoxRow = {
      kind: 'box',
      scenario: s.name,
      lo: s.sorted[first]! / NS_PER_US,
      q1: stats.p25_ns / NS_PER_US,
      median: stats.median_ns / NS_PER_US,
      q3: stats.p75_ns / NS_PER_US,
      hi: s.sorted[last]! / NS_PER_US,
    };
    const outliers: number[] = [];
    for (let i = 0; i < first; i++) outliers.push(s.sorted[i]!);
    for (let i = last + 1; i < s.sorted.length; i++) outliers.push(s.sorted[i]!);
    return [box, ...thin(outliers, maxOutliers).map((v): BoxRow => ({ kind: 'outlier', scenario: s.name, us: v / NS_PER_US }))];
  });
}

/** First index with sorted[i] >= v. */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with sorted[i] > v. */
function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** At most `max` values of `values`, evenly spaced, first and last kept. */
function thin(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  return Array.from({ length: max }, (_, i) => values[Math.round((i * (values.length - 1)) / (max - 1))]!);
}

/** A point, or a bin of consecutive samples, of one boot in run order. */
export interface RunOrderRow {
  scenario: string;
  boot: string;
  /** Position of the sample within its boot, warm-up samples first, from 0; a bin's middle. */
  index: number;
  phase: 'warm-up' | 'measured';
  /** The sample, or a bin's median, µs. */
  us: number;
  /** A bin's smallest and largest sample; equal to us for a single sample. */
  min: number;
  max: number;
  binned: boolean;
}

/**
 * The samples of each boot in the order they were taken. Warm-up samples are always
 * single points; a boot with more than `maxPoints` measured samples is cut into
 * `bins` bins of consecutive samples, each drawn as its median and its min-max range.
 */
export function runOrderRows(scenarios: ScenarioSamples[], maxPoints = 300, bins = 150): RunOrderRow[] {
  const rows: RunOrderRow[] = [];
  for (const s of scenarios) {
    for (const b of s.boots) {
      // in taking order, so the warm-up samples are the first ones
      let w = 0;
      while (w < b.ns.length && b.warmup[w]) w++;
      for (let i = 0; i < w; i++) rows.push(single(s.name, b.label, i, 'warm-up', b.ns[i]!));
      const measured = b.ns.length - w;
      if (measured <= maxPoints) {
        for (let i = w; i < b.ns.length; i++) rows.push(single(s.name, b.label, i, b.warmup[i] ? 'warm-up' : 'measured', b.ns[i]!));
        continue;
      }
      const size = Math.ceil(measured / bins);
      for (let start = w; start < b.ns.length; start += size) {
        const end = Math.min(b.ns.length, start + size);
        const values = b.ns.slice(start, end).sort();
        rows.push({
          scenario: s.name,
          boot: b.label,
          index: (start + end - 1) / 2,
          phase: 'measured',
          us: quantileSorted(values, 0.5) / NS_PER_US,
          min: values[0]! / NS_PER_US,
          max: values[values.length - 1]! / NS_PER_US,
          binned: true,
        });
      }
    }
  }
  return rows;
}

function single(scenario: string, boot: string, index: number, phase: RunOrderRow['phase'], ns: number): RunOrderRow {
  const us = ns / NS_PER_US;
  return { scenario, boot, index, phase, us, min: us, max: us, binned: false };
}

/** One scenario's overhead against the baseline, for the forest plot. */
export interface ForestRow {
  scenario: string;
  pct: number;
  /** paired-t, welch-t or within-layout (summary.ts). */
  method: string;
  lo: number;
  hi: number;
  verdict: string;
  /** "+5.44 %", printed beside the interval. */
  label: string;
}

/** The non-baseline scenarios' overheads with their 95 % intervals. */
export function forestRows(summary: Summary): ForestRow[] {
  return summary.scenarios
    .filter((s): s is ScenarioSummary & { overhead: NonNullable<ScenarioSummary['overhead']> } => s.overhead !== null)
    .map((s) => ({
      scenario: s.name,
      pct: s.overhead.pct,
      method: s.overhead.method,
      lo: s.overhead.ci95_pct[0],
      hi: s.overhead.ci95_pct[1],
      verdict: s.overhead.verdict,
      label: `${s.overhead.pct >= 0 ? '+' : ''}${s.overhead.pct.toFixed(2)} %${s.overhead.against && s.overhead.against !== summary.baseline ? ` vs ${s.overhead.against}` : ''}`,
    }));
}

/** One boot's median, for the plot of per-boot medians. */
export interface BootMedianRow {
  scenario: string;
  kernel: string;
  /** Joins the boots of one seed across the scenarios of one kernel (they share its layout); null: not joined. */
  pair: string | null;
  seed: number | null;
  us: number;
  steady: 'yes' | 'no' | 'not tested';
}

export function bootMedianRows(summary: Summary): BootMedianRow[] {
  return summary.scenarios.flatMap((s) => s.per_boot.map((b) => ({
    scenario: s.name,
    kernel: s.kernel,
    pair: b.seed === null || s.layout === 'fixed' ? null : `${s.kernel} seed ${b.seed}`,
    seed: b.seed,
    us: b.median_ns / 1000,
    steady: b.steady === null ? 'not tested' : b.steady ? 'yes' : 'no',
  })));
}

export { quantileSorted } from './quantile.ts';
export { densities, silvermanBandwidth, type Densities, type DensityPoint } from './density.ts';
