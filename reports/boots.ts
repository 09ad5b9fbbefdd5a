/**
 * Boots are the unit of replication: each boot draws its own memory layout
 * from its seed, and its samples are repeated measures of that one layout.
 * This module splits a scenario's samples by boot, gives each boot its median,
 * its spread and a steady-state check, and says which layout the boots drew.
 */

import { median } from 'simple-statistics';
import type { SampleRow } from '../lib/results.ts';
import type { LoadedRun } from './load.ts';
import { clusterMeans, steadyChecks, type SteadyMethod } from './stats/index.ts';

/** One boot of one scenario. */
export interface BootSeries {
  /** The run it came from (its id, or its directory when run.json is missing). */
  run: string;
  boot: number;
  /** The boot's seed; null when run.json does not record it. */
  seed: number | null;
  /** The drawn link of its kernel it booted (run.json kernelLayout: `d<draw>-<order digest>`); null for the build's own link or when not recorded. */
  link: string | null;
  /** Measured samples in run order, warm-up excluded. */
  values: number[];
  warmup: number;
}

/** What summary.json says of one boot. */
export interface BootSummary {
  run: string;
  boot: number;
  seed: number | null;
  /** The drawn link of its kernel the boot ran, as in BootSeries; absent in summaries written before links were recorded. */
  link?: string | null;
  n: number;
  /** Warm-up samples the guest ran before these: where warm-up is adaptive, they vary by boot. */
  warmups: number;
  median_ns: number;
  /** (max - min) / median * 100 over the boot's samples. */
  spread_pct: number;
  /**
   * The steady-state check (stats/change-point.ts steadyChecks): false when the
   * samples change level, null when it could not be tested (too few samples
   * in the boot and too few other boots to compare with).
   */
  steady: boolean | null;
  change_point: { index: number | null; shift_pct: number; p_value: number | null; method: SteadyMethod };
}

/** How a run's boots chose their layouts: runs made before layouts were drawn had the fixed one. */
export function runLayout(run: LoadedRun): 'random' | 'fixed' {
  return run.meta?.options.layout ?? 'fixed';
}

/** The drawn kernel link each boot ran, by `<run id>/<scenario>/<boot>`; boots of the build's own link are left out. */
export function bootLinks(runs: LoadedRun[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const run of runs) {
    const label = run.meta?.runId ?? run.dir;
    for (const g of run.meta?.guests ?? []) if (g.kernelLayout) out.set(`${label}/${g.scenario}/${g.boot}`, `d${g.kernelLayout.draw}-${g.kernelLayout.orderDigest}`);
  }
  return out;
}

/** Each scenario's boots, in first-seen order, told apart by run and boot number. */
export function bootSeries(runs: LoadedRun[]): Map<string, BootSeries[]> {
  const out = new Map<string, BootSeries[]>();
  for (const run of runs) {
    const label = run.meta?.runId ?? run.dir;
    const seeds = new Map((run.meta?.guests ?? []).map((g) => [`${g.scenario}/${g.boot}`, g.seed]));
    const links = bootLinks([run]);
    const byKey = new Map<string, BootSeries>();
    for (const s of run.samples as SampleRow[]) {
      const key = `${s.scenario}/${s.boot}`;
      let b = byKey.get(key);
      if (!b) {
        byKey.set(key, (b = { run: label, boot: s.boot, seed: seeds.get(key) ?? null, link: links.get(`${label}/${key}`) ?? null, values: [], warmup: 0 }));
        const list = out.get(s.scenario) ?? [];
        list.push(b);
        out.set(s.scenario, list);
      }
      if (s.warmup) b.warmup++;
      else b.values.push(s.nsPerExec);
    }
  }
  return out;
}

/** Each boot of one scenario summarised; the steady-state check compares each boot with the others. */
export function summarizeBoots(boots: BootSeries[]): BootSummary[] {
  const checks = steadyChecks(boots.map((b) => b.values));
  return boots.map((b, i) => {
    const m = median(b.values);
    const cp = checks[i]!;
    return {
      run: b.run,
      boot: b.boot,
      seed: b.seed,
      link: b.link,
      n: b.values.length,
      warmups: b.warmup,
      median_ns: m,
      spread_pct: ((Math.max(...b.values) - Math.min(...b.values)) / m) * 100,
      steady: cp.steady,
      change_point: { index: cp.index, shift_pct: cp.shiftPct, p_value: cp.pValue, method: cp.method },
    };
  });
}

/**
 * Pairs of boot medians of two scenarios that share a seed, in seed order.
 * Only boots with a recorded seed pair; a seed seen twice on one side (runs
 * pooled) is not paired.
 */
export function pairBySeed(a: BootSummary[], b: BootSummary[]): { seeds: number[]; a: number[]; b: number[]; links: (string | null)[] } {
  const unique = (xs: BootSummary[]) => {
    const m = new Map<number, BootSummary | null>();
    for (const x of xs) if (x.seed !== null) m.set(x.seed, m.has(x.seed) ? null : x);
    return m;
  };
  const ua = unique(a);
  const ub = unique(b);
  const seeds = [...ua.keys()].filter((s) => ua.get(s) && ub.get(s)).sort((x, y) => x - y);
  const link = (x: BootSummary, y: BootSummary) => (x.link == null || y.link == null ? null : `${x.link}|${y.link}`);
  return { seeds, a: seeds.map((s) => ua.get(s)!.median_ns), b: seeds.map((s) => ub.get(s)!.median_ns), links: seeds.map((s) => link(ua.get(s)!, ub.get(s)!)) };
}

/**
 * The units an interval over boots is taken over. A boot is one unless boots
 * shared a drawn link of their kernel (fewer links than boots, --kernel-links):
 * the boots of one link share that link's code layout, whose effect is as
 * large as the spread between boots (docs/methodology.md, "The kernel's own
 * link"), so they are not independent draws and the link is the unit, its
 * value the geometric mean of its boots'. `key` names each value's link, or
 * pair of links for a comparison; a value without one (a fixed layout, a run
 * from before links were drawn) keeps the boots as units.
 */
export function linkUnits(values: readonly number[], keys: readonly (string | null | undefined)[]): { values: number[]; links: number | null } {
  const means = clusterMeans(values.map(Math.log), keys);
  return means === null ? { values: [...values], links: null } : { values: means.map(Math.exp), links: means.length };
}

/** A scenario's boot medians as interval units (linkUnits). */
export function bootUnits(boots: readonly BootSummary[]): { values: number[]; links: number | null } {
  return linkUnits(boots.map((b) => b.median_ns), boots.map((b) => b.link));
}

/**
 * Boots' samples, one boot after another, with every boot whose samples
 * repeat an earlier boot's value for value left out: under a fixed layout
 * and icount each boot is the same instructions, and pooling them would
 * count one draw as many. `repeats` says how many were left out.
 */
export function distinctBoots(series: readonly (readonly number[])[]): { values: number[]; repeats: number } {
  const seen = new Set<string>();
  const values: number[] = [];
  let repeats = 0;
  for (const xs of series) {
    const key = xs.join(',');
    if (seen.has(key)) repeats++;
    else {
      seen.add(key);
      values.push(...xs);
    }
  }
  return { values, repeats };
}
