/**
 * The regression gate, end to end: read the baseline and the current run,
 * refuse what does not compare, compute every scenario's comparison, and only
 * then write gate.json and gate.md. Also --update, which writes a baseline file
 * from a run. Library code: errors are thrown (usage errors exit 2), never exits.
 */

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { usageError } from '../../lib/errors.ts';
import type { LoadedRun } from '../load.ts';
import { writeFiles } from '../write.ts';
import { formatBaseline, latencyView, readBaselineFile, readBaselineSource, readRunAsBaseline, type Baseline, type BaselineSource } from './baseline.ts';
import { compareRuns, type Figure, type ScenarioResult } from './compare.ts';
import { intervalLevel, POWER } from './decide.ts';
import { checkDependencies, describeMismatch, refusal, type Mismatch } from './depends.ts';
import { gateMarkdown, gateTable, headline, updateText } from './format.ts';
import type { GateMetric, GateOptions } from './options.ts';
import { explainRegressions, readProfileSummary, type Explanation } from './explain.ts';

export const GATE_FORMAT = 'krsi-bench-gate/2';

/** One input of the gate, as gate.json records it. */
export interface GateInput {
  /** The path as given (or the default baseline file). */
  path: string;
  kind: 'baseline file' | 'run directory';
  run_id: string;
  suite_revision: string;
  /** When the baseline file was made, or the run's date. */
  created: string;
}

/** gate.json: everything the gate decided and why. */
export interface GateReport {
  format: typeof GATE_FORMAT;
  /** fail when any gated scenario regressed. */
  status: 'pass' | 'fail';
  /** One line, the first line of gate.md. */
  headline: string;
  inputs: { baseline: GateInput; current: GateInput };
  mode: string;
  unit: string;
  options: {
    metric: GateMetric;
    /** The overhead metric's baseline scenario (from the baseline). */
    baseline_scenario: string;
    /** Percent (absolute) or percentage points (overhead). */
    threshold: number;
    /** Error rate of the gate's decisions, over every figure. */
    alpha: number;
    /** Error rate of each figure's family: alpha, or alpha / 2 where CPU cost and latency are both gated. */
    family_alpha: number;
    /** Level of the intervals: 1 - 2 alpha of a family, so that each bound is a one-sided test at its alpha. */
    confidence: number;
    /** Power at which each scenario's detectable change is stated. */
    power: number;
    resamples: number;
    seed: number;
    allow_mismatch: boolean;
  };
  /** depends_on differences the gate went on despite (--allow-mismatch). */
  mismatches: Mismatch[];
  /** What a reader should know: allowed mismatches, the baseline's failed event checks, samples too few to decide. */
  warnings: string[];
  /**
   * The current run's failed event checks: instrumentation that did not log
   * what it should has not been measured, and would otherwise pass as
   * "unchanged" or "improved". Any of them fails the gate.
   */
  event_failures: EventFailure[];
  counts: { gated: number; regressed: number; improved: number; no_change: number; inconclusive: number; not_gated: number };
  scenarios: ScenarioResult[];
  /** The regressed scenarios' grown functions, where profiles were given or found. */
  explanations: Explanation[];
}

/** The outcome of one command: what to print and the exit status. */
export interface CommandResult {
  text: string;
  /** 0: nothing regressed (or baseline written); 1: something regressed. */
  exitCode: 0 | 1;
}

/** baselines/<matrix>.json under `dir`; the matrix name must be usable as a file name. */
export function defaultBaselinePath(dir: string, matrix: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(matrix)) {
    throw usageError(`matrix name "${matrix}" cannot name a baseline file; pass --baseline FILE`);
  }
  return join(dir, `${matrix}.json`);
}

const input = (path: string, kind: GateInput['kind'], b: Baseline): GateInput => ({
  path, kind, run_id: b.from_run, suite_revision: b.suite_revision, created: b.created,
});

/** One scenario's failed event check, over the boots where it failed. */
export interface EventFailure {
  scenario: string;
  source: string;
  boots: number[];
  logged: number;
  expected: number;
  lost: number;
  /** events.csv of the run. */
  file: string;
}

function eventFailures(run: LoadedRun): EventFailure[] {
  const out = new Map<string, EventFailure>();
  for (const e of run.events.filter((x) => !x.ok)) {
    const key = `${e.scenario}/${e.source}`;
    const f = out.get(key) ?? { scenario: e.scenario, source: e.source, boots: [], logged: 0, expected: 0, lost: 0, file: join(run.dir, 'events.csv') };
    f.boots.push(e.boot);
    f.logged += e.logged;
    f.expected += e.expected;
    f.lost += e.lost ?? 0;
    out.set(key, f);
  }
  return [...out.values()];
}

/** Scenarios whose instrumentation did not log what it should: their times may not mean what they say. */
function eventWarnings(run: LoadedRun | null, label: string): string[] {
  if (!run) return [];
  const bad = [...new Set(run.events.filter((e) => !e.ok).map((e) => e.scenario))];
  return bad.map((s) => `${label} ${s}: the event check failed (see ${join(run.dir, 'events.csv')}); its times may not measure the instrumentation`);
}

/**
 * The comparisons the metric asks for: the CPU cost's overheads (cpu), the
 * exec latency's (latency, each boot's latency standing for its samples), both,
 * or the CPU cost itself (absolute). With both, each family runs at alpha / 2
 * (Bonferroni over the two, Holm within each), so that the gate's error rate
 * stays alpha. Latency that a side lacks (a baseline from before it was
 * recorded) stops an explicit --metric latency and leaves both with the CPU
 * cost alone, said in a note.
 */
function compareFigures(old: Baseline, cur: Baseline, opts: GateOptions): { scenarios: ScenarioResult[]; notes: string[]; familyAlpha: number } {
  if (opts.metric === 'absolute' || opts.metric === 'cpu') return { ...compareRuns(old, cur, { ...opts, metric: opts.metric === 'absolute' ? 'absolute' : 'overhead' }), familyAlpha: opts.alpha };
  const views = { old: latencyView(old), cur: latencyView(cur) };
  if (!views.old || !views.cur) {
    const which = [!views.old && 'the baseline', !views.cur && 'the current run'].filter(Boolean).join(' and ');
    const why = `${which} ha${which.includes(' and ') ? 've' : 's'} no exec latency (made before every run recorded the kernel's accounting)`;
    if (opts.metric === 'latency') throw usageError(`--metric latency: ${why}; gate with --metric cpu, or make the baseline again`);
    const cpu = compareRuns(old, cur, { ...opts, metric: 'overhead' });
    return { scenarios: cpu.scenarios, notes: [`Exec latency not gated: ${why}; only the CPU cost was compared, at alpha ${opts.alpha}.`, ...cpu.notes], familyAlpha: opts.alpha };
  }
  const tag = (figure: Figure, r: { scenarios: ScenarioResult[]; notes: string[] }) => ({
    scenarios: r.scenarios.map((s) => ({ ...s, figure })),
    notes: r.notes.map((n) => `${figure === 'cpu' ? 'CPU cost' : 'Exec latency'}: ${n}`),
  });
  const latency = tag('latency', compareRuns(views.old, views.cur, { ...opts, metric: 'overhead', alpha: opts.metric === 'both' ? opts.alpha / 2 : opts.alpha }));
  if (opts.metric === 'latency') return { ...latency, familyAlpha: opts.alpha };
  const cpu = tag('cpu', compareRuns(old, cur, { ...opts, metric: 'overhead', alpha: opts.alpha / 2 }));
  return {
    scenarios: cpu.scenarios.flatMap((c) => [c, ...latency.scenarios.filter((l) => l.name === c.name)]),
    notes: [`Both figures gated, each at alpha ${opts.alpha / 2} (Bonferroni over the two), Holm within each.`, ...cpu.notes, ...latency.notes],
    familyAlpha: opts.alpha / 2,
  };
}

/** Computes the gate without writing anything; throws a usage error on input it cannot judge. */
export function evaluateGate(opts: GateOptions): { report: GateReport; outDir: string } {
  const current = readRunAsBaseline(opts.current);
  const baselinePath = opts.baseline ?? defaultBaselinePath(opts.baselinesDir, current.baseline.matrix);
  if (opts.baseline === null && !existsSync(baselinePath)) {
    throw usageError(`${baselinePath}: no baseline for matrix ${current.baseline.matrix}; make one with --update, or pass --baseline`);
  }
  const base: BaselineSource = readBaselineSource(baselinePath);
  const check = checkDependencies(base.baseline, current.baseline);
  const stop = refusal(check, opts.allowMismatch, { baseline: baselinePath, current: opts.current });
  if (stop) throw stop;

  const { scenarios, notes, familyAlpha } = compareFigures(base.baseline, current.baseline, opts);
  const gated = scenarios.filter((s) => s.role === 'gated');
  const count = (v: ScenarioResult['verdict']) => scenarios.filter((s) => s.verdict === v).length;
  const warnings = [
    ...check.mismatches.map((m) => `dependency mismatch allowed by --allow-mismatch: ${describeMismatch(m)}`),
    ...eventWarnings(base.run, 'baseline'),
    ...notes,
  ];
  const failures = eventFailures(current.run);
  const profileDir = (given: string | null, fallback: string | null, what: string) => {
    if (given !== null && !existsSync(given)) throw usageError(`${what} ${given}: no such directory`);
    const dir = given ?? fallback;
    if (dir === null || !existsSync(dir) || !statSync(dir).isDirectory()) return null;
    const p = readProfileSummary(dir);
    if (given !== null && p === null) throw usageError(`${what} ${given}: not a profiling run (no ${join('profiles', 'profile.json')}; make one with npm run profile)`);
    return p;
  };
  const regressed = [...new Set(scenarios.filter((s) => s.verdict === 'regressed').map((s) => s.name))];
  const explanations = explainRegressions(
    regressed,
    profileDir(opts.profile, current.run.dir, '--profile'),
    profileDir(opts.baselineProfile, base.kind === 'run directory' ? baselinePath : null, '--baseline-profile'),
  );
  const partial: Omit<GateReport, 'headline'> = {
    format: GATE_FORMAT,
    status: count('regressed') > 0 || failures.length > 0 ? 'fail' : 'pass',
    inputs: { baseline: input(baselinePath, base.kind, base.baseline), current: input(opts.current, 'run directory', current.baseline) },
    mode: current.baseline.mode,
    unit: current.baseline.unit,
    options: {
      metric: opts.metric,
      baseline_scenario: base.baseline.baseline_scenario,
      threshold: opts.thresholdPct,
      alpha: opts.alpha,
      family_alpha: familyAlpha,
      confidence: intervalLevel(familyAlpha),
      power: POWER,
      resamples: opts.resamples,
      seed: opts.seed,
      allow_mismatch: opts.allowMismatch,
    },
    mismatches: check.mismatches,
    warnings,
    event_failures: failures,
    counts: { gated: gated.length, regressed: count('regressed'), improved: count('improved'), no_change: count('no change'), inconclusive: count('inconclusive'), not_gated: count('not gated') },
    scenarios,
    explanations,
  };
  return { report: { ...partial, headline: headline(partial) }, outDir: opts.out ?? current.run.dir };
}

/** Writes the files all at once (see writeFiles); a directory that cannot be written is a usage error. */
async function writeAll(dir: string, files: { path: string; content: string }[]): Promise<string[]> {
  try {
    return await writeFiles(dir, files);
  } catch (err) {
    throw usageError(`cannot write ${dir}: ${(err as Error).message}`);
  }
}

/** The gate command: evaluate, then write gate.json and gate.md into the output directory. */
export async function runGate(opts: GateOptions): Promise<CommandResult & { report: GateReport; written: string[] }> {
  const { report, outDir } = evaluateGate(opts);
  const written = await writeAll(outDir, [
    { path: 'gate.json', content: `${JSON.stringify(report, null, 2)}\n` },
    { path: 'gate.md', content: gateMarkdown(report) },
  ]);
  return { text: `${gateTable(report)}wrote ${written.join(', ')}\n`, exitCode: report.status === 'fail' ? 1 : 0, report, written };
}

/** --update: writes the baseline file from the current run. */
export async function updateBaseline(opts: GateOptions): Promise<CommandResult & { path: string; baseline: Baseline }> {
  const { baseline: fromRun, run } = readRunAsBaseline(opts.current);
  const path = opts.baseline ?? defaultBaselinePath(opts.baselinesDir, fromRun.matrix);
  let previous: Baseline | null = null;
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw usageError(`${path} is a directory; --update writes a baseline file`);
    try {
      previous = readBaselineFile(path);
    } catch {
      // An unreadable old baseline is exactly what --update replaces.
    }
  }
  const baseline: Baseline = { ...fromRun, created: new Date().toISOString() };
  await writeAll(dirname(path), [{ path: basename(path), content: formatBaseline(baseline) }]);
  return { text: updateText(path, baseline, previous, eventWarnings(run, 'run')), exitCode: 0, path, baseline };
}

/** Runs the command the options name. */
export function runGateCommand(opts: GateOptions): Promise<CommandResult> {
  return opts.command === 'update' ? updateBaseline(opts) : runGate(opts);
}
