/**
 * A run's figures in the shapes benchmark dashboards read, from its
 * summary.json (and its gate.json, where the gate was run on it):
 *
 * - bmf: Bencher Metric Format, `{ benchmark: { measure: { value,
 *   lower_value, upper_value } } }`, one benchmark per scenario;
 * - github-action-benchmark: its `customSmallerIsBetter` input, an array of
 *   `{ name, unit, value, range, extra }`, one entry per scenario and figure.
 *
 * Per scenario: the CPU cost and the exec latency in ns per exec, and their
 * overheads against the scenario's baseline in percent, each with its 95 %
 * interval where it has one. Every figure is one where smaller is better.
 */
import type { GateReport } from './gate/gate.ts';
import type { ScenarioSummary, Summary } from './summary.ts';

export const EXPORT_FORMATS = ['bmf', 'github-action-benchmark'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One figure of one scenario, before it takes a format's shape. */
export interface ExportFigure {
  scenario: string;
  /** A measure name: cpu-cost, cpu-overhead, exec-latency, exec-latency-overhead. */
  measure: string;
  unit: 'ns' | '%';
  value: number;
  /** The 95 % interval, where the run has one (one boot within one layout has none for a centre). */
  lower: number | null;
  upper: number | null;
  /** What a dashboard's tooltip should say beside the number: against what, the verdict, the gate's. */
  note: string;
}

const bound = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

function figuresOf(s: ScenarioSummary, gate: GateReport | null): ExportFigure[] {
  const gated = (figure: 'cpu' | 'latency') => {
    const r = gate?.scenarios.find((x) => x.name === s.name && (x.figure ?? 'cpu') === figure);
    return r ? `; gate against ${gate!.inputs.baseline.run_id}: ${r.verdict}` : '';
  };
  const out: ExportFigure[] = [];
  const over = (method: string) => (method === 'boots' ? 'interval over boots' : 'interval within one layout');
  const n = `${s.boots} boots x ${s.n / s.boots} samples`;
  out.push({ scenario: s.name, measure: 'cpu-cost', unit: 'ns', value: s.centre.ns, lower: bound(s.centre.ci95_ns[0]), upper: bound(s.centre.ci95_ns[1]), note: `${n}, ${over(s.centre.method)}` });
  if (s.overhead) {
    const o = s.overhead;
    out.push({ scenario: s.name, measure: 'cpu-overhead', unit: '%', value: o.pct, lower: bound(o.ci95_pct[0]), upper: bound(o.ci95_pct[1]), note: `vs ${o.against}: ${o.verdict}${gated('cpu')}` });
  }
  const l = s.latency;
  if (l) {
    out.push({ scenario: s.name, measure: 'exec-latency', unit: 'ns', value: l.centre.ns, lower: bound(l.centre.ci95_ns[0]), upper: bound(l.centre.ci95_ns[1]), note: `${n}, ${over(l.centre.method)}` });
    if (l.overhead) {
      const o = l.overhead;
      out.push({ scenario: s.name, measure: 'exec-latency-overhead', unit: '%', value: o.pct, lower: bound(o.ci95_pct[0]), upper: bound(o.ci95_pct[1]), note: `vs ${o.against}: ${o.verdict}${gated('latency')}` });
    }
  }
  return out;
}

/** Every scenario's figures, in the summary's order. */
export function exportFigures(summary: Summary, gate: GateReport | null): ExportFigure[] {
  return summary.scenarios.flatMap((s) => figuresOf(s, gate));
}

export type Bmf = Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>>;

/** Bencher Metric Format: benchmark (the scenario) -> measure -> value and its bounds. */
export function toBmf(figures: ExportFigure[]): Bmf {
  const out: Bmf = {};
  for (const f of figures) {
    out[f.scenario] ??= {};
    out[f.scenario]![f.measure] = {
      value: f.value,
      ...(f.lower !== null && { lower_value: f.lower }),
      ...(f.upper !== null && { upper_value: f.upper }),
    };
  }
  return out;
}

export interface GithubBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

const round = (v: number, unit: ExportFigure['unit']) => Number(v.toFixed(unit === '%' ? 2 : 1));

/**
 * github-action-benchmark's customSmallerIsBetter: "scenario/measure". Its
 * range is one string; an interval that is not symmetric is given by its wider
 * side there ("± x"), and in full in extra.
 */
export function toGithubBenchmark(figures: ExportFigure[]): GithubBenchmarkEntry[] {
  return figures.map((f) => {
    const interval = f.lower !== null && f.upper !== null ? { half: Math.max(f.upper - f.value, f.value - f.lower), text: `95 % CI [${round(f.lower, f.unit)}, ${round(f.upper, f.unit)}] ${f.unit}` } : null;
    return {
      name: `${f.scenario}/${f.measure}`,
      unit: f.unit === 'ns' ? 'ns/exec' : '%',
      value: round(f.value, f.unit),
      ...(interval && { range: `± ${round(interval.half, f.unit)}` }),
      extra: [interval?.text, f.note].filter(Boolean).join('; '),
    };
  });
}

export function exportAs(format: ExportFormat, summary: Summary, gate: GateReport | null): unknown {
  const figures = exportFigures(summary, gate);
  return format === 'bmf' ? toBmf(figures) : toGithubBenchmark(figures);
}
