/**
 * Checks on the runs a report is made from, before anything is computed: one run
 * must hold samples for every scenario its run.json lists, and runs merged into one
 * report must be of one mode and each given once. Then the notes a reader of a
 * merged report needs: which scenarios were pooled from which runs, and where the
 * pooled runs differ (K, kernel config, suite revision, host).
 */

import { resolve } from 'node:path';
import { usageError } from '../../lib/errors.ts';
import type { LoadedRun } from '../load.ts';
import type { RunInfo } from './run-info.ts';

/** What one run holds of one scenario. */
export interface ScenarioFacts {
  /** The kernel of its first sample. */
  kernel: string;
  /** K values of its samples. */
  execs: Set<number>;
  /** Rows, warm-up included. */
  rows: number;
}

/** A loaded run with what the report reads of its run.json and the path it was given as. */
export interface ReportInput {
  /** The run directory or samples.csv as given on the command line. */
  input: string;
  /** The samples file that was read. */
  samplesPath: string;
  run: LoadedRun;
  info: RunInfo;
  /** Per scenario, in first-seen order. */
  facts: Map<string, ScenarioFacts>;
}

/** One pass over a run's samples: which scenarios it holds, with their kernel, K and row count. */
export function scenarioFacts(run: LoadedRun): Map<string, ScenarioFacts> {
  const facts = new Map<string, ScenarioFacts>();
  let last: ScenarioFacts | undefined;
  let lastName: string | null = null;
  for (const s of run.samples) {
    if (s.scenario !== lastName) {
      lastName = s.scenario;
      last = facts.get(s.scenario);
      if (!last) facts.set(s.scenario, (last = { kernel: s.kernel, execs: new Set(), rows: 0 }));
    }
    last!.execs.add(s.execs);
    last!.rows++;
  }
  return facts;
}

/** Every scenario listed in run.json has samples in samples.csv. */
export function checkScenariosPresent(x: ReportInput): void {
  const missing = x.info.scenarios.map((s) => s.name).filter((n) => !x.facts.has(n));
  if (missing.length) {
    throw usageError(`${x.samplesPath}: no samples for scenario${missing.length > 1 ? 's' : ''} ${missing.join(', ')} listed in run.json (truncated or edited file?)`);
  }
}

/** Runs merged into one report: each given once, all of one mode. */
export function checkMergeable(inputs: ReportInput[]): void {
  const seen = new Map<string, string>();
  for (const x of inputs) {
    // a run id names one run wherever it was copied; without run.json the label is only a folder name
    for (const key of [`dir:${resolve(x.run.dir)}`, ...(x.info.hasMeta ? [`id:${x.info.label}`] : [])]) {
      const before = seen.get(key);
      if (before !== undefined) throw usageError(`${x.input}: the same run as ${before} (${x.info.label}); merging a run with itself would count its samples twice`);
      seen.set(key, x.input);
    }
  }
  checkSeedsOnce(inputs);
  const modes = new Map<string, string[]>();
  for (const x of inputs) {
    const mode = x.info.mode ?? 'unknown (no run.json)';
    modes.set(mode, [...(modes.get(mode) ?? []), x.info.label]);
  }
  if (modes.size > 1) {
    const parts = [...modes].map(([mode, labels]) => `${labels.join(', ')} ${labels.length > 1 ? 'are' : 'is'} ${mode}`);
    throw usageError(`cannot merge runs of different modes: ${parts.join('; ')} (instruction-time and wall-clock times do not compare)`);
  }
}

/**
 * No boot counted twice: a seed draws a boot's layout (and under icount its
 * every instruction), so the same scenario booted with the same seed in two
 * runs is one boot measured twice, not two layouts, and pooling both would
 * shrink the interval over boots by counting it twice. Runs with a fixed
 * layout are left to their own note: every boot of theirs had one layout.
 */
function checkSeedsOnce(inputs: ReportInput[]): void {
  const seen = new Map<string, string>();
  for (const x of inputs) {
    if (x.run.meta?.options.layout !== 'random') continue;
    for (const g of x.run.meta.guests) {
      const key = `${g.scenario}\0${g.seed}`;
      const before = seen.get(key);
      if (before !== undefined && before !== x.input) {
        throw usageError(`${x.input}: scenario ${g.scenario} was booted with seed ${g.seed} in ${before} too; the same seed draws the same layout, so merging would count that boot twice (run one of them with --seed beyond the other's seeds)`);
      }
      seen.set(key, x.input);
    }
  }
}

/** Gives runs that share a label (folders of the same name, without run.json) "name (2)" and so on. */
export function uniqueLabels(inputs: ReportInput[]): void {
  const seen = new Map<string, number>();
  for (const x of inputs) {
    const k = (seen.get(x.info.label) ?? 0) + 1;
    seen.set(x.info.label, k);
    if (k > 1) x.info.label = `${x.info.label} (${k})`;
  }
}

/** Notes on what a merged report pooled; none for a single run. */
export function poolingNotes(inputs: ReportInput[], scenarios: string[]): string[] {
  if (inputs.length < 2) return [];
  const notes: string[] = [];
  const pooled = new Map<string, { count: number; names: string[] }>();
  for (const name of scenarios) {
    const holding = inputs.filter((x) => x.facts.has(name));
    if (holding.length < 2) continue;
    const runs = holding.map((x) => x.info.label).join(', ');
    pooled.set(runs, { count: holding.length, names: [...(pooled.get(runs)?.names ?? []), name] });
    const execs = [...new Set(holding.flatMap((x) => [...x.facts.get(name)!.execs]))].sort((a, b) => a - b);
    if (execs.length > 1) notes.push(`${name}: the pooled runs used different K (${execs.join(', ')} execs per sample), so their samples are not equally noisy.`);
    const configs = new Set(holding.map((x) => {
      const variant = x.facts.get(name)!.kernel;
      const k = x.info.kernels.find((k) => k.variant === variant);
      return `${variant} ${k?.configHash ?? 'unknown config'}`;
    }));
    if (configs.size > 1) notes.push(`${name}: the pooled runs booted different kernels or kernel configs (${[...configs].join('; ')}).`);
  }
  notes.unshift(...[...pooled].map(([runs, p]) => `Samples pooled from ${p.count} runs (${runs}) for ${p.names.join(', ')}.`));
  const revisions = new Set(inputs.map((x) => x.info.suiteRevision ?? 'unknown'));
  if (revisions.size > 1) notes.push(`The merged runs come from different suite revisions (${inputs.map((x) => `${x.info.label}: ${x.info.suiteRevision ?? 'unknown'}`).join(', ')}).`);
  const hosts = new Set(inputs.map((x) => x.info.host ?? 'unknown'));
  if (hosts.size > 1 && inputs[0]!.info.mode !== 'icount') notes.push(`The merged runs were measured on different hosts (${[...hosts].join('; ')}), and their wall-clock times are pooled.`);
  return notes;
}
