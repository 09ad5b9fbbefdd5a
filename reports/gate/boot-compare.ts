/**
 * The gate at boot level, for runs whose boots drew their layouts from their
 * seeds. Everything is on the log scale of boot medians, as in summary.ts:
 * - absolute: ln(new / old) of a scenario. Where both runs booted it with
 *   the same seeds, the per-seed differences are paired (on the same kernel,
 *   boot k of each had the same layout, which cancels). Otherwise Welch.
 * - overhead: the change of ln(scenario / baseline scenario). Where both runs
 *   booted the same seeds, seed k gives four boots, and
 *   d_k = ln(S_new,k / S_old,k) - ln(B_new,k / B_old,k) is paired over seeds:
 *   on unchanged kernels layout variation cancels, so a change in a BPF
 *   program or a rule set shows even when layouts move each scenario by
 *   several %. Otherwise each run's overhead is estimated on its own (paired
 *   by seed within the run where its two scenarios share seeds, whatever the
 *   kernels, Welch where not)
 *   and the two are compared with their standard errors added
 *   (Welch-Satterthwaite df).
 * Estimates carry their standard error and df; compare.ts tests them.
 */

import { median } from 'simple-statistics';
import { clusterMeans, pairedLogDiff, welchLogDiff, type LogDiffEstimate } from '../stats/index.ts';
import type { Baseline, BaselineBoot } from './baseline.ts';

/** A log-scale estimate with its standard error and degrees of freedom. */
export interface LogEstimate {
  est: number;
  se: number;
  df: number;
  /** What it is over: seeds paired, or boots of both sides; kernel links where seeds shared them. */
  units: number;
  paired: boolean;
  /** The units are kernel links (byLink), not seeds or boots. */
  overLinks?: boolean;
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

const asGate = (e: LogDiffEstimate, paired: boolean, overLinks: boolean): LogEstimate => ({
  est: e.diff,
  se: e.se,
  // No spread: df does not matter (the interval is a point), but the combination below needs a number.
  df: e.df ?? Math.max(1, e.n - (paired ? 1 : 2)),
  units: e.n,
  paired,
  overLinks,
});

/**
 * Per-seed logs of ratios. Math.log of a ratio near 1 is off by about an ulp
 * of 1, so differences within 8 ulps of max(1, |d|) count as no spread.
 */
function paired(d: number[], links: (number | null)[]): LogEstimate {
  const u = byLink(d, links);
  return asGate(pairedLogDiff(u, 8 * Number.EPSILON * Math.max(1, ...u.map(Math.abs))), true, u.length < d.length);
}

/** mean of b's logs - mean of a's logs, Welch. */
function welch(a: number[], b: number[], linksA: (number | null)[], linksB: (number | null)[]): LogEstimate {
  const ua = byLink(a.map(Math.log), linksA);
  const ub = byLink(b.map(Math.log), linksB);
  return asGate(welchLogDiff(ua, ub), false, ua.length < a.length || ub.length < b.length);
}

/**
 * The kernel link a seed's boots ran: seed mod D where the baseline records
 * D (depends_on.kernel_links; the gate refuses two baselines whose D differ),
 * null where it does not (fixed layouts, older baselines).
 */
function linkOf(b: Baseline): (seed: number | null) => number | null {
  const d = b.depends_on.layout === 'random' ? b.depends_on.kernel_links : undefined;
  return (seed) => (d === undefined || seed === null ? null : seed % d);
}

/**
 * Values on the log scale, one per seed or boot, as the units the test is
 * over: as they are, unless seeds shared a kernel link (fewer links than
 * seeds), where each link's values are averaged into one unit, as the
 * summary does (reports/boots.ts linkUnits): boots of one link are not
 * independent draws of the layout.
 */
function byLink(values: number[], links: (number | null)[]): number[] {
  return clusterMeans(values, links) ?? values;
}

/** x - y of two independent estimates. */
function difference(x: LogEstimate, y: LogEstimate): LogEstimate {
  const v = x.se ** 2 + y.se ** 2;
  const df = v === 0 ? x.df + y.df : v ** 2 / (x.se ** 4 / x.df + y.se ** 4 / y.df);
  return { est: x.est - y.est, se: Math.sqrt(v), df, units: x.units + y.units, paired: false, overLinks: Boolean(x.overLinks || y.overLinks) };
}

/** One run's ln(scenario / base): paired by seed where they share seeds, whatever the kernels (summary.ts, bootRatio), else Welch. */
export function runOverhead(b: Baseline, name: string, base: string): LogEstimate {
  const s = b.scenarios[name]!;
  const r = b.scenarios[base]!;
  const ms = bySeed(s.boots);
  const mr = bySeed(r.boots);
  const seeds = common(ms, mr);
  const link = linkOf(b);
  if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(ms.get(k)! / mr.get(k)!)), seeds.map(link));
  return welch(r.boots.map(medianOf), s.boots.map(medianOf), r.boots.map((x) => link(x.seed)), s.boots.map((x) => link(x.seed)));
}

/** ln(new / old) of one scenario: paired by seed wherever both runs booted it with the same seeds, whatever the kernels. */
export function absoluteChange(old: Baseline, cur: Baseline, name: string): LogEstimate {
  const o = old.scenarios[name]!.boots;
  const c = cur.scenarios[name]!.boots;
  const mo = bySeed(o);
  const mc = bySeed(c);
  const seeds = common(mo, mc);
  if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(mc.get(k)! / mo.get(k)!)), seeds.map(linkOf(cur)));
  return welch(o.map(medianOf), c.map(medianOf), o.map((x) => linkOf(old)(x.seed)), c.map((x) => linkOf(cur)(x.seed)));
}

/**
 * The change of ln(scenario / base) from old to cur. Paired over the seeds all
 * four boot sets share, whatever the kernels: each d_k is one seed's own
 * difference, independent of the other seeds', so the paired t test is valid
 * even where a kernel changed and its layouts no longer match. Where only the
 * scenario's kernel changed, base's boots are the same in both runs and its
 * term is 0 on every seed, instead of adding its variance twice.
 */
export function overheadChange(old: Baseline, cur: Baseline, name: string, base: string): LogEstimate {
  const so = bySeed(old.scenarios[name]!.boots);
  const sc = bySeed(cur.scenarios[name]!.boots);
  const bo = bySeed(old.scenarios[base]!.boots);
  const bc = bySeed(cur.scenarios[base]!.boots);
  const seeds = common(so, sc, bo, bc);
  if (seeds.length >= 2) return paired(seeds.map((k) => Math.log(sc.get(k)! / so.get(k)!) - Math.log(bc.get(k)! / bo.get(k)!)), seeds.map(linkOf(cur)));
  return difference(runOverhead(cur, name, base), runOverhead(old, name, base));
}

/** Whether a scenario can be compared at boot level: random layouts on both sides and 2 boots or more in each. */
export function bootLevel(old: Baseline, cur: Baseline, names: string[]): boolean {
  return old.depends_on.layout === 'random' && cur.depends_on.layout === 'random'
    && names.every((n) => old.scenarios[n]!.boots.length >= 2 && cur.scenarios[n]!.boots.length >= 2);
}
