/**
 * The gate at boot level, for runs whose boots drew their layouts from their
 * seeds. Everything is on the log scale of boot medians, as in summary.ts:
 * - absolute: ln(new / old) of a scenario. Where both runs booted the same
 *   kernel (same config hash), boot k of each had seed k and so the same
 *   kernel layout: the per-seed differences are paired. Otherwise Welch.
 * - overhead: the change of ln(scenario / baseline scenario). Where both runs
 *   booted the same kernels, seed k gives four boots of matched layouts, and
 *   d_k = ln(S_new,k / S_old,k) - ln(B_new,k / B_old,k) is paired over seeds:
 *   layout variation cancels, so a change in a BPF program or a rule set
 *   shows even when layouts move each scenario by several %. Otherwise each
 *   run's overhead is estimated on its own (paired within the run where its
 *   two scenarios share a kernel, Welch where not) and the two are compared
 *   with their standard errors added (Welch-Satterthwaite df).
 * Intervals are t intervals; p-values two-sided t-tests.
 */

import { median } from 'simple-statistics';
import { pairedLogDiff, studentTQuantile, studentTSf, welchLogDiff, type LogDiffEstimate } from '../stats/index.ts';
import type { Baseline, BaselineBoot } from './baseline.ts';

/** A log-scale estimate with its standard error and degrees of freedom. */
export interface LogEstimate {
  est: number;
  se: number;
  df: number;
  /** What it is over: seeds paired, or boots of both sides. */
  units: number;
  paired: boolean;
}

const medianOf = (b: BaselineBoot) => median(b.samples_ns);

/** Boot medians by seed; seeds seen twice (pooled runs) or unknown are left out. */
function bySeed(boots: BaselineBoot[]): Map<number, number> {
  const m = new Map<number, number | null>();
  for (const b of boots) if (b.seed !== null) m.set(b.seed, m.has(b.seed) ? null : medianOf(b));
  return new Map([...m].filter((e): e is [number, number] => e[1] !== null));
}

function common(...maps: Map<number, number>[]): number[] {
  return [...maps[0]!.keys()].filter((s) => maps.every((m) => m.has(s))).sort((a, b) => a - b);
}

const asGate = (e: LogDiffEstimate, paired: boolean): LogEstimate => ({
  est: e.diff,
  se: e.se,
  // No spread: df does not matter (tInterval gives a point), but the combination below needs a number.
  df: e.df ?? Math.max(1, e.n - (paired ? 1 : 2)),
  units: e.n,
  paired,
});

/**
 * Per-seed logs of ratios. Math.log of a ratio near 1 is off by about an ulp
 * of 1, so differences within 8 ulps of max(1, |d|) count as no spread.
 */
function paired(d: number[]): LogEstimate {
  return asGate(pairedLogDiff(d, 8 * Number.EPSILON * Math.max(1, ...d.map(Math.abs))), true);
}

/** mean of b's logs - mean of a's logs, Welch. */
function welch(a: number[], b: number[]): LogEstimate {
  return asGate(welchLogDiff(a.map(Math.log), b.map(Math.log)), false);
}

/** x - y of two independent estimates. */
function difference(x: LogEstimate, y: LogEstimate): LogEstimate {
  const v = x.se ** 2 + y.se ** 2;
  const df = v === 0 ? x.df + y.df : v ** 2 / (x.se ** 4 / x.df + y.se ** 4 / y.df);
  return { est: x.est - y.est, se: Math.sqrt(v), df, units: x.units + y.units, paired: false };
}

/** The t interval and two-sided p of an estimate; a zero standard error gives a point interval. */
export function tInterval(e: LogEstimate, confidence: number): { ci: [number, number]; p: number } {
  if (e.se === 0) return { ci: [e.est, e.est], p: e.est === 0 ? 1 : 0 };
  const q = studentTQuantile(1 - (1 - confidence) / 2, e.df);
  return { ci: [e.est - q * e.se, e.est + q * e.se], p: Math.min(1, 2 * studentTSf(Math.abs(e.est / e.se), e.df)) };
}

/** Whether a scenario's kernel is the same build in both. */
const sameKernel = (old: Baseline, cur: Baseline, name: string) => {
  const k = old.scenarios[name]!.kernel;
  return k === cur.scenarios[name]!.kernel && old.depends_on.kernels[k] !== undefined && old.depends_on.kernels[k] === cur.depends_on.kernels[k];
};

/** One run's ln(scenario / base): paired by seed where they share a kernel, else Welch. */
export function runOverhead(b: Baseline, name: string, base: string): LogEstimate {
  const s = b.scenarios[name]!;
  const r = b.scenarios[base]!;
  if (s.kernel === r.kernel) {
    const ms = bySeed(s.boots);
    const mr = bySeed(r.boots);
    const seeds = common(ms, mr);
    if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(ms.get(k)! / mr.get(k)!)));
  }
  return welch(r.boots.map(medianOf), s.boots.map(medianOf));
}

/** ln(new / old) of one scenario. */
export function absoluteChange(old: Baseline, cur: Baseline, name: string): LogEstimate {
  const o = old.scenarios[name]!.boots;
  const c = cur.scenarios[name]!.boots;
  if (sameKernel(old, cur, name)) {
    const mo = bySeed(o);
    const mc = bySeed(c);
    const seeds = common(mo, mc);
    if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(mc.get(k)! / mo.get(k)!)));
  }
  return welch(o.map(medianOf), c.map(medianOf));
}

/** The change of ln(scenario / base) from old to cur. */
export function overheadChange(old: Baseline, cur: Baseline, name: string, base: string): LogEstimate {
  if (sameKernel(old, cur, name) && sameKernel(old, cur, base)) {
    const so = bySeed(old.scenarios[name]!.boots);
    const sc = bySeed(cur.scenarios[name]!.boots);
    const bo = bySeed(old.scenarios[base]!.boots);
    const bc = bySeed(cur.scenarios[base]!.boots);
    const seeds = common(so, sc, bo, bc);
    if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(sc.get(k)! / so.get(k)!) - Math.log(bc.get(k)! / bo.get(k)!)));
  }
  return difference(runOverhead(cur, name, base), runOverhead(old, name, base));
}

/** Whether a scenario can be compared at boot level: random layouts on both sides and 2 boots or more in each. */
export function bootLevel(old: Baseline, cur: Baseline, names: string[]): boolean {
  return old.depends_on.layout === 'random' && cur.depends_on.layout === 'random'
    && names.every((n) => old.scenarios[n]!.boots.length >= 2 && cur.scenarios[n]!.boots.length >= 2);
}
