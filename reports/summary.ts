import { median } from 'simple-statistics';
import { usageError } from '../lib/errors.ts';
import type { SampleRow } from '../lib/results.ts';
import type { EventRow, LoadedRun } from './load.ts';
import { bootLinks, bootSeries, bootUnits, distinctBoots, linkUnits, pairBySeed, runLayout, summarizeBoots, type BootSeries, type BootSummary } from './boots.ts';
import { multiCpuScenarios, runAccounting, type BootAccounting } from './latency.ts';
import { bootstrapRatioOfMedians, describe, geometricMeanCI, holmBonferroni, mannWhitneyU, MIN_POOLED_RESIDUALS, MIN_SAMPLES_WITHIN_BOOT, pairedLogRatio, verdict, welchLogRatio, type RatioTest, type Verdict } from './stats/index.ts';

/** Events of one scenario, boots added up (lost: null when a boot could not tell, then the total is unknown, not 0). */
/** delay: over the boots, the median of their p50 and p99, the largest max and all writes; null where no logger timed its records. */
export type EventSummary = Pick<EventRow, 'source' | 'expected' | 'logged' | 'matched' | 'lost' | 'truncated' | 'unaccounted' | 'delay' | 'ok'>;

/**
 * How an overhead was estimated (README, "Statistics"):
 * - paired-t: same kernel, boots paired by seed (the same kernel layout): the
 *   geometric mean of the per-seed ratios of boot medians, a t interval and a
 *   paired t-test on their logs, over the pairs;
 * - welch-t: the ratio of the geometric means of boot medians, Welch's t
 *   interval and test on their logs, over the boots;
 * - within-layout: one layout only (--layout fixed, or fewer than 2 boots):
 *   the ratio of pooled medians with a percentile bootstrap and a Mann-Whitney
 *   U test over the samples. Its interval does not cover the layout.
 */
export type OverheadMethod = 'paired-t' | 'welch-t' | 'within-layout';

/** A scenario against the baseline. */
export interface Overhead {
  /** The scenario this overhead is taken against: the summary's baseline, or the scenario's own. */
  against: string;
  /** (ratio - 1) * 100, the ratio as the method says. */
  pct: number;
  ci95_pct: [number, number];
  /** Two-sided. */
  p_value: number;
  /** Holm-Bonferroni over the comparisons of this summary. */
  p_adjusted: number;
  /** exact / normal: the U test's p; t: a t-test's. */
  test: 'exact' | 'normal' | 't';
  method: OverheadMethod;
  /** What the interval and test are over: seed pairs, boots of both, or samples of both. */
  units: number;
  /** The seeds paired (paired-t only). */
  paired_seeds?: number[];
  /**
   * Where boots shared drawn links of their kernel: the links (paired: the
   * pairs of links) the interval and test are over instead of the boots
   * (boots.ts linkUnits).
   */
  links?: number;
  /**
   * The equivalence test: the interval at 1 - 2 alpha / k (k comparisons,
   * Bonferroni), whose bounds are its two one-sided tests; "equivalent" when
   * it lies inside ±margin_pct.
   */
  equivalence: { margin_pct: number; level: number; ci_pct: [number, number] };
  verdict: Verdict;
}

export interface ScenarioSummary {
  name: string;
  kernel: string;
  /** Measured samples, warm-up excluded. */
  n: number;
  warmup_n: number;
  boots: number;
  mean_ns: number;
  /** Sample sd; null for n = 1. */
  sd_ns: number | null;
  median_ns: number;
  /** Order-statistic interval; a bound too few samples cannot give is null (unbounded). */
  median_ci95_ns: [number | null, number | null];
  p5_ns: number;
  p25_ns: number;
  p75_ns: number;
  p95_ns: number;
  p99_ns: number;
  /** Median absolute deviation, scaled by 1.4826. */
  mad_ns: number;
  /** random: each boot drew its layout from its seed; fixed: all boots had one layout. */
  layout: 'random' | 'fixed';
  /** Measured samples of the boot with the fewest. */
  samples_per_boot: number;
  per_boot: BootSummary[];
  /**
   * The scenario's figure: with a random layout and 2 boots or more, the
   * geometric mean of the boots' medians with a t interval over boots
   * (method boots; where boots shared their kernel's drawn links, over the
   * links, `links` of them: boots.ts linkUnits); otherwise the pooled median with its order-statistic
   * interval (method within-layout), which does not cover the layout.
   */
  centre: { ns: number; ci95_ns: [number | null, number | null]; method: 'boots' | 'within-layout'; links?: number };
  /** Spread of the boots' medians: sd of their logs * 100 (null for one boot), and (max - min) / centre * 100. */
  between_boot: { sd_pct: number | null; range_pct: number };
  /** Spread of samples inside a boot: the median over boots of (max - min) / median * 100. */
  within_boot: { spread_pct: number };
  /** Boots whose samples change level (stats/change-point.ts); kept in every statistic, and flagged. */
  unsteady_boots: number;
  /** Boots it could not test (see BootSummary.steady). */
  untested_boots: number;
  /** Tukey fences: mild beyond 1.5 IQR, severe beyond 3 IQR. Counted, never dropped. */
  outliers: { mild: number; severe: number; low: number; high: number };
  /** overhead.pct, repeated for readers of the first summary format; null for the baseline. */
  overhead_pct: number | null;
  /** The figure above is the CPU cost: the loop's time per exec, every task's work on the guest's CPU included. */
  overhead: Overhead | null;
  /** What the exec's caller waits for when spare cores run everything else (reports/latency.ts); null where the run did not record the kernel's accounting. */
  latency?: LatencySummary | null;
  events: EventSummary;
}

/** Exec latency beside the CPU cost, at boot level like the CPU cost (reports/latency.ts). */
export interface LatencySummary {
  centre: { ns: number; ci95_ns: [number | null, number | null]; method: 'boots' | 'within-layout'; links?: number };
  overhead: Overhead | null;
  /** Per exec, the mean over boots: the loop's time over the accounting window (the CPU cost it is taken from). */
  cpu_ns: number;
  /** Per exec, the mean over boots: the exec'ing tasks' stall for a CPU another task held (cpu.pressure full), which latency leaves out. */
  stall_ns: number;
  /** Per exec, the mean over boots: the exec'ing tasks' schedstat run delay, their waits for each other included. */
  run_delay_ns: number;
  /** Per exec, the mean over boots: each group's run time (workload, auditd, kauditd, bpf logger, ..., idle). */
  by_group_ns: Record<string, number>;
  per_boot: { run: string; boot: number; seed: number | null; latency_ns: number; cpu_ns: number; stall_ns: number }[];
}

/** summary.json */
export interface Summary {
  mode: string;
  unit: string;
  baseline: string;
  /** The runs the samples came from. */
  runs: string[];
  alpha: number;
  /** The margin within which a comparison is called equivalent, in % (EQUIVALENCE_MARGIN_PCT). */
  equivalence_margin_pct: number;
  bootstrap: { resamples: number; seed: number };
  /** What a reader should know: pooled runs, missing events, small samples. */
  notes: string[];
  scenarios: ScenarioSummary[];
}

export interface SummarizeOptions {
  baseline?: string;
  alpha?: number;
  resamples?: number;
  seed?: number;
}

interface Group {
  kernel: string;
  values: number[];
  warmup: number;
  boots: Set<string>;
}

/** Measured (not warm-up) samples per scenario, in first-seen order. Boots are told apart by run and boot. */
export function groupSamples(runs: { label: string; samples: SampleRow[] }[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const { label, samples } of runs) {
    for (const s of samples) {
      let g = groups.get(s.scenario);
      if (!g) groups.set(s.scenario, (g = { kernel: s.kernel, values: [], warmup: 0, boots: new Set() }));
      g.boots.add(`${label}/${s.boot}`);
      if (s.warmup) g.warmup++;
      else g.values.push(s.nsPerExec);
    }
  }
  return groups;
}

function sumEvents(rows: EventRow[]): EventSummary {
  if (rows.length === 0) return { source: 'not recorded', expected: 0, logged: 0, matched: 0, lost: 0, truncated: 0, unaccounted: null, delay: null, ok: true };
  const timed = rows.flatMap((r) => (r.delay ? [r.delay] : []));
  const add = (k: 'expected' | 'logged' | 'matched' | 'truncated') => rows.reduce((n, r) => n + r[k], 0);
  return {
    source: [...new Set(rows.map((r) => r.source))].join('+'),
    expected: add('expected'),
    logged: add('logged'),
    matched: add('matched'),
    lost: rows.some((r) => r.lost === null) ? null : rows.reduce((n, r) => n + r.lost!, 0),
    truncated: add('truncated'),
    unaccounted: rows.some((r) => r.unaccounted === null) ? null : rows.reduce((n, r) => n + r.unaccounted!, 0),
    delay: timed.length === 0 ? null : {
      p50Ns: median(timed.map((d) => d.p50Ns)), p99Ns: median(timed.map((d) => d.p99Ns)), maxNs: Math.max(...timed.map((d) => d.maxNs)), writes: timed.reduce((n, d) => n + d.writes, 0),
    },
    ok: rows.every((r) => r.ok),
  };
}

/**
 * Under a fixed layout and icount, boots of one scenario repeat the same
 * instructions: their samples are the same numbers, and pooling them would
 * count one layout's noise B times as if it were B independent draws. Boots
 * whose measured samples equal an earlier boot's, value for value, are left
 * out of the sample-level statistics (distinctBoots), with a note.
 */
function countReplicasOnce(groups: Map<string, Group>, series: Map<string, BootSeries[]>, notes: string[]): void {
  for (const [name, list] of series) {
    const g = groups.get(name);
    if (!g) continue;
    const { values, repeats } = distinctBoots(list.map((b) => b.values));
    if (repeats === 0) continue;
    notes.push(`${name}: ${repeats} of its ${list.length} boots repeated another boot's samples value for value (one fixed layout, the same instructions), so each set of samples counts once: n = ${values.length}, not ${g.values.length}.`);
    g.values = values;
  }
}

/** Scenario -> the scenario whose guests it shares (run.json's sameGuestAs), once each. */
function sharedGuests(runs: LoadedRun[]): Map<string, string> {
  const shared = new Map<string, string>();
  for (const g of runs.flatMap((r) => r.meta?.guests ?? [])) {
    if (typeof g.sameGuestAs !== 'string' || shared.has(g.scenario)) continue;
    const other = runs.flatMap((r) => r.meta?.guests ?? []).find((o) => o.id === g.sameGuestAs);
    if (other) shared.set(g.scenario, other.scenario);
  }
  return shared;
}

/**
 * The scenarios whose overhead run.json says to take against a scenario of
 * their own (the matrix's per-scenario baseline). One whose baseline was not
 * run (a --scenarios subset) is taken against the summary's, with a note.
 */
function scenarioBaselines(runs: LoadedRun[], groups: Map<string, unknown>, baseline: string, notes: string[]): Map<string, string> {
  const own = new Map<string, string>();
  for (const s of runs.flatMap((r) => r.meta?.scenarios ?? [])) {
    if (typeof s.baseline !== 'string' || s.baseline === baseline || s.name === baseline || !groups.has(s.name) || own.has(s.name)) continue;
    if (groups.has(s.baseline)) own.set(s.name, s.baseline);
    else if (!notes.some((n) => n.startsWith(`${s.name}: its own baseline`))) notes.push(`${s.name}: its own baseline ${s.baseline} was not run; its overhead is taken against ${baseline}.`);
  }
  return own;
}

/**
 * Two overheads within 1 % of each other are called equivalent when a test
 * shows it: the gate's default threshold, and about the smallest overhead
 * the default run resolves (docs/methodology.md, "Calibration").
 */
export const EQUIVALENCE_MARGIN_PCT = 1;

/** A verdict in words: "equivalent" with its margin (a summary from before the margin was recorded had 1 %). */
export function verdictText(o: { verdict: string; equivalence?: { margin_pct: number } }): string {
  return o.verdict === 'equivalent' ? `equivalent within ±${o.equivalence?.margin_pct ?? EQUIVALENCE_MARGIN_PCT} %` : o.verdict;
}

/** The interval level of the equivalence tests of k comparisons at alpha: TOST, Bonferroni over k. */
const equivalenceLevel = (alpha: number, k: number) => 1 - (2 * alpha) / Math.max(1, k);

/** The statistics stage: per-scenario descriptions, then each scenario against its baseline (the matrix's, or its own). */
export function summarize(runs: LoadedRun[], opts: SummarizeOptions = {}): Summary {
  const first = runs[0]!;
  const alpha = opts.alpha ?? 0.05;
  const bootstrap = { resamples: opts.resamples ?? 10_000, seed: opts.seed ?? 42 };
  const events = runs.flatMap((r) => r.events);
  const groups = groupSamples(runs.map((r) => ({ label: r.meta?.runId ?? r.dir, samples: r.samples })));
  const baseline = opts.baseline ?? first.meta?.matrix.baseline ?? [...groups.keys()][0]!;
  for (const [name, g] of groups) {
    if (g.values.length === 0) throw usageError(`${first.dir}: scenario ${name} has no measured samples (only warm-up)`);
  }
  const base = groups.get(baseline);
  if (!base) throw usageError(`baseline "${baseline}" is not a scenario of ${runs.map((r) => r.dir).join(', ')} (it has: ${[...groups.keys()].join(', ')})`);

  const notes: string[] = [];
  const layouts = new Set(runs.map(runLayout));
  const layout: 'random' | 'fixed' = layouts.has('fixed') ? 'fixed' : 'random';
  if (layouts.size > 1) notes.push('Runs of both layouts are pooled here: every statistic is treated as of a fixed layout.');
  const series = bootSeries(runs);
  const perBoot = new Map([...series].map(([name, list]) => [name, summarizeBoots(list)]));
  if (layout === 'fixed') countReplicasOnce(groups, series, notes);
  const bootLevel = (name: string) => layout === 'random' && perBoot.get(name)!.length >= 2;

  const against = scenarioBaselines(runs, groups, baseline, notes);
  for (const [scenario, other] of sharedGuests(runs)) {
    notes.push(`${scenario}: the same guests as ${other} (same kernel, setup, workload and seeds, so under icount the same instructions), booted once and counted under both names.`);
  }
  const compared = [...groups.keys()].filter((n) => n !== baseline);
  const eqLevel = equivalenceLevel(alpha, compared.length);
  const raw = compared.map((name) => {
    const g = groups.get(name)!;
    const b = against.get(name) ?? baseline;
    const bg = groups.get(b)!;
    return { name, against: b, ...compareToBaseline({ name, kernel: g.kernel, values: g.values, boots: perBoot.get(name)! }, { name: b, kernel: bg.kernel, values: bg.values, boots: perBoot.get(b)! }, bootLevel(name) && bootLevel(b), bootstrap, eqLevel) };
  });
  const adjusted = holmBonferroni(raw.map((r) => r.p));
  const overheads = new Map(raw.map((r, i): [string, Overhead] => [r.name, overheadOf(r, adjusted[i]!, alpha)]));
  const latencies = latencySummaries(runs, groups, { baseline, against, layout, alpha, bootstrap }, notes);
  for (const s of runs.flatMap((r) => r.meta?.scenarios ?? [])) {
    const online = runs.flatMap((r) => r.meta?.guests ?? []).filter((g) => g.scenario === s.name && g.onlineCpus !== undefined).map((g) => g.onlineCpus!);
    const asked = s.workload?.cpus ?? 1;
    if (online.length && Math.max(...online) < asked && !notes.some((n) => n.startsWith(`${s.name}: asked`))) {
      notes.push(`${s.name}: asked for ${asked} vCPUs, its guests brought up ${Math.max(...online)} (the kernel found no other CPU); its figures are of ${Math.max(...online)}.`);
    }
  }
  const links = kernelLinksNote(runs, perBoot);
  if (links) notes.push(links);
  if (layout === 'fixed') {
    notes.push('Layout fixed: every boot had the same memory layout (nokaslr norandmaps, fixed CRNG bytes, no RDRAND), so the intervals cover sampling noise within that one layout, not the variation between layouts, which is larger.');
  }

  const scenarios = [...groups].map(([name, g]): ScenarioSummary => {
    const d = describe(g.values);
    const ev = sumEvents(events.filter((e) => e.scenario === name));
    if (!ev.ok) notes.push(`${name}: the instrumentation did not log what it should (${ev.logged} of ${ev.expected} events, ${ev.logged - ev.matched} with the wrong value, ${ev.lost ?? 'unknown'} lost, ${ev.truncated} truncated${ev.unaccounted ? `, ${ev.unaccounted} emitted and unaccounted for` : ''}).`);
    if (!d.medianCI.finite) notes.push(`${name}: with n=${d.n} the 95 % interval of the median is unbounded; take more samples.`);
    if (d.outliers.severe > 0) notes.push(`${name}: ${d.outliers.severe} severe outlier${d.outliers.severe > 1 ? 's' : ''} (beyond 3 IQR), kept in every statistic.`);
    const overhead = overheads.get(name) ?? null;
    const boots = perBoot.get(name)!;
    const medians = boots.map((b) => b.median_ns);
    const units = bootUnits(boots);
    const centre = bootLevel(name) ? geometricMeanCI(units.values) : null;
    const centreNs = centre?.centre ?? d.median;
    if (layout === 'random' && boots.length < 3) {
      notes.push(`${name}: ${boots.length} boot${boots.length > 1 ? 's' : ''} only; ${boots.length < 2 ? 'its interval covers sampling noise within one layout, not the variation between layouts' : 'the interval over boots rests on so few layouts that it is very wide, and says little about how layouts vary'} (use --boots 3 or more).`);
    }
    for (const b of boots.filter((x) => x.steady === false)) {
      notes.push(`${name}: boot ${b.boot}${b.seed === null ? '' : ` (seed ${b.seed})`} is not in steady state: its samples change level at sample ${b.change_point.index} by ${b.change_point.shift_pct >= 0 ? '+' : ''}${b.change_point.shift_pct.toFixed(2)} % (change-point test against ${b.change_point.method}, p=${b.change_point.p_value!.toPrecision(2)}); it is kept in every statistic.`);
    }
    const untested = boots.filter((x) => x.steady === null).length;
    if (untested) notes.push(`${name}: steady state not tested for ${untested} of ${boots.length} boot${boots.length > 1 ? 's' : ''}: fewer than 3 samples, or fewer than ${MIN_SAMPLES_WITHIN_BOOT} samples and fewer than ${MIN_POOLED_RESIDUALS} residuals of other boots to test against, so no p-value could fall below 0.01.`);
    return {
      name,
      kernel: g.kernel,
      n: d.n,
      warmup_n: g.warmup,
      boots: g.boots.size,
      mean_ns: d.mean,
      sd_ns: d.sd,
      median_ns: d.median,
      median_ci95_ns: [d.medianCI.lo, d.medianCI.hi],
      p5_ns: d.percentiles.p5,
      p25_ns: d.percentiles.p25,
      p75_ns: d.percentiles.p75,
      p95_ns: d.percentiles.p95,
      p99_ns: d.percentiles.p99,
      mad_ns: d.mad,
      layout,
      samples_per_boot: Math.min(...boots.map((b) => b.n)),
      per_boot: boots,
      centre: centre
        ? { ns: centre.centre, ci95_ns: centre.ci ?? [null, null], method: 'boots', ...(units.links !== null && { links: units.links }) }
        : { ns: d.median, ci95_ns: [d.medianCI.lo, d.medianCI.hi], method: 'within-layout' },
      between_boot: {
        sd_pct: centre === null || boots.length < 2 ? null : geometricMeanCI(medians).sdLog! * 100,
        range_pct: ((Math.max(...medians) - Math.min(...medians)) / centreNs) * 100,
      },
      within_boot: { spread_pct: median(boots.map((b) => b.spread_pct)) },
      unsteady_boots: boots.filter((b) => b.steady === false).length,
      untested_boots: boots.filter((b) => b.steady === null).length,
      outliers: { mild: d.outliers.mild, severe: d.outliers.severe, low: d.outliers.low.mild + d.outliers.low.severe, high: d.outliers.high.mild + d.outliers.high.severe },
      overhead_pct: overhead?.pct ?? null,
      overhead,
      latency: latencies?.get(name) ?? null,
      events: ev,
    };
  });
  return {
    mode: first.meta?.mode ?? 'unknown',
    unit: first.meta?.unit ?? 'ns',
    baseline,
    runs: runs.map((r) => r.meta?.runId ?? r.dir),
    alpha,
    equivalence_margin_pct: EQUIVALENCE_MARGIN_PCT,
    bootstrap,
    notes,
    scenarios,
  };
}

/**
 * Every scenario's latency, with its overhead against the same scenario the
 * CPU cost is taken against, by the same boot-level method; Holm over the
 * latency comparisons as their own family. Null, with a note, when a run
 * did not record the kernel's accounting.
 */
function latencySummaries(
  runs: LoadedRun[],
  groups: Map<string, Group>,
  how: { baseline: string; against: Map<string, string>; layout: 'random' | 'fixed'; alpha: number; bootstrap: { resamples: number; seed: number } },
  notes: string[],
): Map<string, LatencySummary> | null {
  const perRun = runs.map(runAccounting);
  if (perRun.some((r) => r === null)) {
    notes.push('Exec latency not measured: a run of this summary predates the kernel accounting every run now records (attribution.csv with run delays, and each boot\'s cgroup stall in run.json), was made with KRSI_BENCH_ACCOUNTING=off, or its kernel has no PSI; only the CPU cost is shown.');
    return null;
  }
  const boots = new Map<string, BootAccounting[]>();
  for (const m of perRun) for (const [name, list] of m!) boots.set(name, [...(boots.get(name) ?? []), ...list]);
  const smp = new Set(runs.flatMap((r) => [...multiCpuScenarios(r)]));
  for (const name of smp) boots.delete(name);
  if (smp.size) {
    notes.push(`${[...smp].join(', ')}: exec latency not measured on guests with more than one CPU: under icount the vCPUs share one instruction clock and wake each other late, so their stalls are QEMU's scheduling, not the guest's (docs/methodology.md); their CPU cost stands.`);
  }
  const missing = [...groups.keys()].filter((n) => !boots.has(n) && !smp.has(n));
  if (missing.length) {
    notes.push(`Exec latency not measured: no accounting rows for ${missing.join(', ')}.`);
    return null;
  }
  // The same boot-level machinery as the CPU cost, each boot's latency standing for its median.
  const links = bootLinks(runs);
  const asBoots = (name: string): BootSummary[] => boots.get(name)!.map((b) => ({
    run: b.run, boot: b.boot, seed: b.seed, link: links.get(`${b.run}/${name}/${b.boot}`) ?? null, n: 1, warmups: 0, median_ns: b.latencyNs, spread_pct: 0, steady: null, change_point: { index: null, shift_pct: 0, p_value: null, method: 'not tested' },
  }));
  const side = (name: string): Side => ({ name, kernel: groups.get(name)!.kernel, values: boots.get(name)!.map((b) => b.latencyNs), boots: asBoots(name) });
  const bootLevel = (name: string) => how.layout === 'random' && boots.get(name)!.length >= 2;
  // A scenario is compared where it and its baseline both have latency.
  const compared = [...groups.keys()].filter((n) => n !== how.baseline && boots.has(n) && boots.has(how.against.get(n) ?? how.baseline));
  const eqLevel = equivalenceLevel(how.alpha, compared.length);
  const raw = compared.map((name) => {
    const b = how.against.get(name) ?? how.baseline;
    return { name, against: b, ...compareToBaseline(side(name), side(b), bootLevel(name) && bootLevel(b), how.bootstrap, eqLevel) };
  });
  const adjusted = holmBonferroni(raw.map((r) => r.p));
  const out = new Map<string, LatencySummary>();
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  for (const name of groups.keys()) {
    const list = boots.get(name);
    if (!list) continue;
    const values = list.map((b) => b.latencyNs);
    const units = bootUnits(asBoots(name));
    const geo = bootLevel(name) ? geometricMeanCI(units.values) : null;
    const i = compared.indexOf(name);
    const overhead = i < 0 ? null : overheadOf(raw[i]!, adjusted[i]!, how.alpha);
    const groupNames = [...new Set(list.flatMap((b) => Object.keys(b.groups)))];
    out.set(name, {
      centre: geo ? { ns: geo.centre, ci95_ns: geo.ci ?? [null, null], method: 'boots', ...(units.links !== null && { links: units.links }) } : { ns: mean(values), ci95_ns: [null, null], method: 'within-layout' },
      overhead,
      cpu_ns: mean(list.map((b) => b.cpuNs)),
      stall_ns: mean(list.map((b) => b.stallNs / b.execs)),
      run_delay_ns: mean(list.map((b) => b.runDelayNs / b.execs)),
      by_group_ns: Object.fromEntries(groupNames.map((g) => [g, mean(list.map((b) => (b.groups[g] ?? 0) / b.execs))])),
      per_boot: list.map((b) => ({ run: b.run, boot: b.boot, seed: b.seed, latency_ns: b.latencyNs, cpu_ns: b.cpuNs, stall_ns: b.stallNs / b.execs })),
    });
  }
  return out;
}

/** A comparison to its baseline as summary.json states it, with its Holm-adjusted p and verdict. */
function overheadOf(r: RawComparison & { against: string }, pAdjusted: number, alpha: number): Overhead {
  return {
    against: r.against, pct: r.pct, ci95_pct: r.ci, p_value: r.p, p_adjusted: pAdjusted, test: r.test, method: r.method, units: r.units,
    ...(r.pairedSeeds && { paired_seeds: r.pairedSeeds }),
    ...(r.links != null && { links: r.links }),
    equivalence: { margin_pct: EQUIVALENCE_MARGIN_PCT, level: r.equivalence.level, ci_pct: r.equivalence.ci },
    verdict: verdict({ pAdjusted, ciPct: r.ci, alpha, equivalenceCiPct: r.equivalence.ci, marginPct: EQUIVALENCE_MARGIN_PCT }),
  };
}

interface Side {
  name: string;
  kernel: string;
  values: number[];
  boots: BootSummary[];
}

interface RawComparison {
  pct: number;
  ci: [number, number];
  p: number;
  test: Overhead['test'];
  method: OverheadMethod;
  units: number;
  pairedSeeds?: number[];
  links?: number | null;
  /** The same comparison's interval at the equivalence test's level. */
  equivalence: { level: number; ci: [number, number] };
}

const pctOf = (ratio: number) => (ratio - 1) * 100;

/**
 * Where boots shared their kernel's drawn links (D below the boots of a
 * scenario, kernels/layout.ts): the intervals are then over links, not boots.
 */
export function kernelLinksNote(runs: LoadedRun[], perBoot: Map<string, BootSummary[]>): string | null {
  const shared = [...perBoot].map(([n, boots]) => ({ n, boots, links: bootUnits(boots).links })).filter((x) => x.links !== null);
  if (!shared.length) return null;
  const d = Math.min(...runs.map((r) => (r.meta?.options.layout === 'random' ? r.meta.options.kernelLinks : undefined) ?? Infinity));
  const { n: name, boots, links } = shared[0]!;
  return `Kernel links: boots shared drawn links of their kernel (${name}: ${boots.length} boots on ${links} links${Number.isFinite(d) ? `, seed mod ${d}` : ''}). The boots of one link share its code layout, so the intervals and tests of ${shared.length === perBoot.size ? 'every scenario' : shared.map((x) => x.n).join(', ')} are over links (the geometric mean of each link's boots; paired comparisons over pairs of links), with fewer degrees of freedom than boots would give; --kernel-links ${Math.max(...shared.map((x) => x.boots.length))} gives every boot its own link.`;
}

/**
 * other / base over their boots' medians, as a test at any level: paired by
 * seed where they have 2 seeds or more in common, whatever their kernels,
 * Welch's test on the logs otherwise. A seed draws the same execbench link on
 * every kernel, and on one kernel the same memory layout too, so its two boots
 * share what the seed drew; each seed's difference is independent of the other
 * seeds', so the paired test is valid however much or little they share.
 * pairedSeeds: the seeds paired, null for Welch. links: where boots shared
 * drawn kernel links, the units the test is over (pairs of links, paired;
 * both sides' links, Welch), null where every boot is its own unit.
 */
export function bootRatio(base: { boots: BootSummary[] }, other: { boots: BootSummary[] }): { test: (level: number) => RatioTest; pairedSeeds: number[] | null; links: number | null } {
  const pairs = pairBySeed(base.boots, other.boots);
  if (pairs.seeds.length >= 2) {
    // pairs that ran the same two links are one unit (boots.ts linkUnits)
    const a = linkUnits(pairs.a, pairs.links);
    const b = linkUnits(pairs.b, pairs.links);
    return { test: (level) => pairedLogRatio(a.values, b.values, level), pairedSeeds: pairs.seeds, links: a.links };
  }
  const a = bootUnits(base.boots);
  const b = bootUnits(other.boots);
  return { test: (level) => welchLogRatio(a.values, b.values, level), pairedSeeds: null, links: a.links === null && b.links === null ? null : a.values.length + b.values.length };
}

/**
 * One scenario against the baseline, at boot level where the boots drew
 * their layouts (paired by seed where they share seeds, else Welch), within one
 * layout otherwise. A t interval that cannot be had (all pairs equal gives a
 * zero-width one) is taken as it is.
 */
function compareToBaseline(s: Side, base: Side, bootLevel: boolean, bootstrap: { resamples: number; seed: number }, eqLevel: number): RawComparison {
  if (bootLevel) {
    const { test, pairedSeeds, links } = bootRatio(base, s);
    const t = test(0.95);
    if (t.ratioCI && t.pValue !== null) {
      const e = test(eqLevel).ratioCI!;
      return {
        pct: pctOf(t.ratio), ci: [pctOf(t.ratioCI[0]), pctOf(t.ratioCI[1])], p: t.pValue, test: 't', method: t.method, units: t.n,
        ...(pairedSeeds && { pairedSeeds }),
        links,
        equivalence: { level: eqLevel, ci: [pctOf(e[0]), pctOf(e[1])] },
      };
    }
  }
  const ratio = bootstrapRatioOfMedians(base.values, s.values, bootstrap);
  const e = bootstrapRatioOfMedians(base.values, s.values, { ...bootstrap, confidence: eqLevel }).overheadPctCI;
  const u = mannWhitneyU(s.values, base.values);
  return {
    pct: ratio.overheadPct, ci: [ratio.overheadPctCI[0], ratio.overheadPctCI[1]], p: u.pValue, test: u.method, method: 'within-layout', units: s.values.length + base.values.length,
    equivalence: { level: eqLevel, ci: [e[0], e[1]] },
  };
}
