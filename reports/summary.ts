import { median, quantileSorted } from 'simple-statistics';
import { usageError } from '../bench/errors.ts';
import type { SampleRow } from '../bench/store.ts';
import type { EventRow, LoadedRun } from './load.ts';

/** Events of one scenario, boots added up. */
export interface EventSummary {
  source: string;
  expected: number;
  logged: number;
  matched: number;
  lost: number;
  ok: boolean;
}

export interface ScenarioSummary {
  name: string;
  kernel: string;
  /** Measured samples, warm-up excluded. */
  n: number;
  warmup_n: number;
  boots: number;
  median_ns: number;
  p5_ns: number;
  p95_ns: number;
  /** Against the baseline's median; null for the baseline itself. */
  overhead_pct: number | null;
  events: EventSummary;
}

/** summary.json */
export interface Summary {
  mode: string;
  unit: string;
  baseline: string;
  run_id: string | null;
  scenarios: ScenarioSummary[];
}

/** Measured (not warm-up) samples per scenario, in first-seen order. */
export function measuredByScenario(samples: SampleRow[]): Map<string, { kernel: string; values: number[]; warmup: number; boots: Set<number> }> {
  const groups = new Map<string, { kernel: string; values: number[]; warmup: number; boots: Set<number> }>();
  for (const s of samples) {
    let g = groups.get(s.scenario);
    if (!g) groups.set(s.scenario, (g = { kernel: s.kernel, values: [], warmup: 0, boots: new Set() }));
    g.boots.add(s.boot);
    if (s.warmup) g.warmup++;
    else g.values.push(s.nsPerExec);
  }
  return groups;
}

function sumEvents(rows: EventRow[]): EventSummary {
  if (rows.length === 0) return { source: 'unknown', expected: 0, logged: 0, matched: 0, lost: 0, ok: true };
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

export function summarize(run: LoadedRun, baselineName?: string): Summary {
  const groups = measuredByScenario(run.samples);
  const baseline = baselineName ?? run.meta?.matrix.baseline ?? [...groups.keys()][0]!;
  for (const [name, g] of groups) {
    if (g.values.length === 0) throw usageError(`${run.dir}: scenario ${name} has no measured samples (only warm-up)`);
  }
  const base = groups.get(baseline);
  if (!base) throw usageError(`baseline "${baseline}" is not a scenario of ${run.dir} (it has: ${[...groups.keys()].join(', ')})`);
  const baseMedian = median(base.values);
  const scenarios = [...groups].map(([name, g]): ScenarioSummary => {
    const sorted = [...g.values].sort((a, b) => a - b);
    const med = median(sorted);
    return {
      name,
      kernel: g.kernel,
      n: sorted.length,
      warmup_n: g.warmup,
      boots: g.boots.size,
      median_ns: med,
      p5_ns: quantileSorted(sorted, 0.05),
      p95_ns: quantileSorted(sorted, 0.95),
      overhead_pct: name === baseline ? null : (med / baseMedian - 1) * 100,
      events: sumEvents(run.events.filter((e) => e.scenario === name)),
    };
  });
  return { mode: run.meta?.mode ?? 'unknown', unit: run.meta?.unit ?? 'ns', baseline, run_id: run.meta?.runId ?? null, scenarios };
}
