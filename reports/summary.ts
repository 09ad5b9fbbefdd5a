import { usageError } from '../bench/errors.ts';
import type { SampleRow } from '../bench/store.ts';
import type { EventRow, LoadedRun } from './load.ts';
import { bootstrapRatioOfMedians, describe, holmBonferroni, mannWhitneyU, verdict, type Verdict } from './stats/index.ts';

/** Events of one scenario, boots added up. */
export interface EventSummary {
  source: string;
  expected: number;
  logged: number;
  matched: number;
  lost: number;
  ok: boolean;
}

/** A scenario against the baseline. */
export interface Overhead {
  /** (median / baseline median - 1) * 100 */
  pct: number;
  /** Seeded percentile bootstrap of the ratio of medians. */
  ci95_pct: [number, number];
  /** Two-sided Mann-Whitney U test. */
  p_value: number;
  /** Holm-Bonferroni over the comparisons of this summary. */
  p_adjusted: number;
  test: 'exact' | 'normal';
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
  /** Tukey fences: mild beyond 1.5 IQR, severe beyond 3 IQR. Counted, never dropped. */
  outliers: { mild: number; severe: number; low: number; high: number };
  /** overhead.pct, repeated for readers of the first summary format; null for the baseline. */
  overhead_pct: number | null;
  overhead: Overhead | null;
  events: EventSummary;
}

/** summary.json */
export interface Summary {
  mode: string;
  unit: string;
  baseline: string;
  /** The runs the samples came from. */
  runs: string[];
  alpha: number;
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
  if (rows.length === 0) return { source: 'not recorded', expected: 0, logged: 0, matched: 0, lost: 0, ok: true };
  const add = (k: 'expected' | 'logged' | 'matched' | 'lost') => rows.reduce((n, r) => n + r[k], 0);
  return {
    source: [...new Set(rows.map((r) => r.source))].join('+'),
    expected: add('expected'),
    logged: add('logged'),
    matched: add('matched'),
    lost: add('lost'),
    ok: rows.every((r) => r.ok),
  };
}

/** The statistics stage: per-scenario descriptions, then each scenario against the baseline. */
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
  const compared = [...groups.keys()].filter((n) => n !== baseline);
  const raw = compared.map((name) => {
    const values = groups.get(name)!.values;
    return { name, ratio: bootstrapRatioOfMedians(base.values, values, bootstrap), test: mannWhitneyU(values, base.values) };
  });
  const adjusted = holmBonferroni(raw.map((r) => r.test.pValue));
  const overheads = new Map(raw.map((r, i): [string, Overhead] => {
    const ci: [number, number] = [r.ratio.overheadPctCI[0], r.ratio.overheadPctCI[1]];
    const pAdj = adjusted[i]!;
    return [r.name, { pct: r.ratio.overheadPct, ci95_pct: ci, p_value: r.test.pValue, p_adjusted: pAdj, test: r.test.method, verdict: verdict({ pAdjusted: pAdj, ciPct: ci, alpha }) }];
  }));

  const scenarios = [...groups].map(([name, g]): ScenarioSummary => {
    const d = describe(g.values);
    const ev = sumEvents(events.filter((e) => e.scenario === name));
    if (!ev.ok) notes.push(`${name}: the instrumentation did not log what it should (${ev.logged} of ${ev.expected} events, ${ev.logged - ev.matched} with the wrong value, ${ev.lost} lost).`);
    if (!d.medianCI.finite) notes.push(`${name}: with n=${d.n} the 95 % interval of the median is unbounded; take more samples.`);
    if (d.outliers.severe > 0) notes.push(`${name}: ${d.outliers.severe} severe outlier${d.outliers.severe > 1 ? 's' : ''} (beyond 3 IQR), kept in every statistic.`);
    const overhead = overheads.get(name) ?? null;
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
      outliers: { mild: d.outliers.mild, severe: d.outliers.severe, low: d.outliers.low.mild + d.outliers.low.severe, high: d.outliers.high.mild + d.outliers.high.severe },
      overhead_pct: overhead?.pct ?? null,
      overhead,
      events: ev,
    };
  });
  return {
    mode: first.meta?.mode ?? 'unknown',
    unit: first.meta?.unit ?? 'ns',
    baseline,
    runs: runs.map((r) => r.meta?.runId ?? r.dir),
    alpha,
    bootstrap,
    notes,
    scenarios,
  };
}
