import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { areShards, joinShards, writeJoinedRun } from './shards.ts';
import { usageError } from '../lib/errors.ts';
import { loadRun } from './load.ts';
import type { DataFiles } from './report/build.ts';
import { loadTalkReference } from './report/compare.ts';
import { runInfo } from './report/run-info.ts';
import { checkMergeable, checkScenariosPresent, poolingNotes, scenarioFacts, uniqueLabels, type ReportInput } from './report/runs.ts';
import { checkOutDir, writeFiles } from './write.ts';
import { summarize, type Summary } from './summary.ts';
import { summarizeProfiles } from './profile/summarize.ts';

/** Options of the statistics and report stages. */
export interface ReportOptions {
  /** The scenario overheads are computed against; by default run.json's, else the first scenario. */
  baseline?: string;
  /** Where the report goes; the run's directory by default, and with merge see defaultMergeDir. */
  out?: string;
  /** Make one report from several runs, pooling the samples of scenarios they share. */
  merge?: boolean;
  /** Bootstrap resamples (default 10 000) and seed (default 42). */
  resamples?: number;
  seed?: number;
  /** Read a run the runner is still writing (its own summary, before the run is complete). */
  unfinishedOk?: boolean;
  /** Called as each stage starts, for timing. */
  onPhase?: (phase: string) => void;
  /** The time that names a default merge directory. */
  now?: Date;
}

/** What a report run produced. */
export interface ReportResult {
  summary: Summary;
  /** The output directory. */
  out: string;
  /** Every file written. */
  files: string[];
}

function loadInput(input: string, unfinishedOk = false): ReportInput {
  const run = loadRun(input, { unfinishedOk });
  const samplesPath = statSync(input).isDirectory() ? join(input, 'samples.csv') : input;
  return { input, samplesPath, run, info: runInfo(run), facts: scenarioFacts(run) };
}

/** merged-<UTC time> beside the first run's directory, e.g. results/merged-2026-11-28T15-04-05Z. */
export function defaultMergeDir(firstRunDir: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const base = join(dirname(resolve(firstRunDir)), `merged-${stamp}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

const hrefOf = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/**
 * The data files the page links to: an input file already in the output directory
 * is linked where it is; any other is copied beside the report (one run: as
 * samples.csv, events.csv, run.json, attribution.csv; merged runs: under runs/<run>/), so the output
 * directory is whole on its own, on disk or on a static host.
 */
function planDataFiles(inputs: ReportInput[], out: string, merged: boolean): DataFiles {
  const used = new Set<string>();
  const folder = (label: string) => {
    const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'run';
    let name = safe;
    for (let i = 2; used.has(name); i++) name = `${safe}-${i}`;
    used.add(name);
    return name;
  };
  const links: DataFiles['links'] = [];
  const copies: DataFiles['copies'] = [];
  for (const x of inputs) {
    const sources: [string, string][] = [[x.samplesPath, 'samples.csv']];
    for (const name of ['events.csv', 'run.json', 'attribution.csv']) if (existsSync(join(x.run.dir, name))) sources.push([join(x.run.dir, name), name]);
    const sub = merged ? `runs/${folder(x.info.label)}/` : '';
    links.push({
      run: x.info.label,
      links: sources.map(([src, name]) => {
        if (resolve(dirname(src)) === resolve(out)) return { name, href: hrefOf(basename(src)) };
        copies.push({ path: sub + name, copyFrom: src });
        return { name, href: hrefOf(sub + name) };
      }),
    });
  }
  return { links, copies };
}

/**
 * The statistics and report stages: loads and checks every run, computes the summary
 * and renders the report entirely in memory, then writes summary.json, report.html,
 * each plot as .svg and .png, and copies of the data files. Bad input is a usage
 * error (exit 2) raised before anything is written.
 */
export async function reportRuns(paths: string[], opts: ReportOptions = {}): Promise<ReportResult> {
  const a = analyseRuns(paths, opts);
  if ('shards' in a) return reportShards(a.shards, a.out, opts);
  const { inputs, out, summary } = a;
  // Profiles belong to one run: a merged report has none.
  const profiled = opts.merge ? null : await summarizeProfiles(inputs[0]!.run, summary);
  // Loaded here, not at the top: rendering needs vega, vega-lite and resvg, which take most of a
  // second to load, and a run that is refused never gets this far.
  const { buildReport } = await import('./report/build.ts');
  const built = await buildReport({ inputs, summary, profile: profiled?.profile ?? null, reference: loadTalkReference(), dataFiles: planDataFiles(inputs, out, opts.merge ?? false), onPhase: opts.onPhase });
  opts.onPhase?.('write');
  const files = await writeFiles(out, [...(profiled?.files ?? []), ...built.files]);
  return { summary, out, files };
}

/** The statistics stage alone: loads and checks the runs and computes their summary; writes nothing. */
function analyseRuns(paths: string[], opts: ReportOptions): { inputs: ReportInput[]; out: string; summary: Summary } | { shards: ReportInput[]; out: string } {
  if (paths.length === 0) throw usageError('give a run directory or samples.csv (see --help)');
  if (!opts.merge && paths.length > 1) throw usageError(`give one run directory or samples.csv, or --merge to make one report of ${paths.length} runs`);
  if (opts.merge && paths.length < 2) throw usageError('--merge makes one report from several runs: give at least two run directories');
  opts.onPhase?.('load');
  const inputs = paths.map((p) => loadInput(p, opts.unfinishedOk));
  inputs.forEach(checkScenariosPresent);
  if (opts.merge) checkMergeable(inputs);
  uniqueLabels(inputs);
  const first = inputs[0]!;
  const out = opts.out ?? (opts.merge ? defaultMergeDir(first.run.dir, opts.now) : first.run.dir);
  checkOutDir(out);
  if (opts.merge && areShards(inputs.map((x) => x.run))) return { shards: inputs, out };

  opts.onPhase?.('statistics');
  const names = [...new Set(inputs.flatMap((x) => [...x.facts.keys()]))];
  // The run's own baseline may be missing from its samples (a shard, a --scenarios subset):
  // then the first scenario stands in, with a note. Any other unknown baseline is an error (in summarize).
  const fromMeta = first.info.baseline;
  let baseline = opts.baseline ?? fromMeta ?? names[0]!;
  const standIn = baseline === fromMeta && !names.includes(baseline);
  if (standIn) baseline = names[0]!;
  const summary = summarize(inputs.map((x) => x.run), { baseline, resamples: opts.resamples, seed: opts.seed });
  if (standIn) summary.notes.push(`The run's baseline ${fromMeta} has no samples here (a shard, or a subset of the scenarios?); overheads are against ${baseline}, the first scenario.`);
  summary.notes.push(...poolingNotes(inputs, summary.scenarios.map((s) => s.name)));
  return { inputs, out, summary };
}

/**
 * The shards of one run (--shard I/N) become that run again: one run directory
 * with the joined samples.csv, events.csv and run.json, as an unsharded run
 * would have written them, and its report. It is built beside `out` and
 * renamed into place only when complete.
 */
async function reportShards(inputs: ReportInput[], out: string, opts: ReportOptions): Promise<ReportResult> {
  const runs = inputs.map((x) => x.run);
  const joined = joinShards(runs);
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'run.json'))) {
    throw usageError(`--out ${out}: exists and is not a run directory; the joined run would replace it`);
  }
  const partial = `${out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await writeJoinedRun(partial, runs, joined);
    const result = await reportRuns([partial], { ...opts, merge: false, out: partial });
    await rm(out, { recursive: true, force: true });
    await rename(partial, out);
    return { ...result, out, files: result.files.map((f) => join(out, relative(partial, f))) };
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * One run's statistics stage: summary.json, beside its data, and no report.
 * The bench writes it before the run is renamed complete, and renders the
 * report only after, so that a failed render cannot cost the data.
 */
export async function summarizeRunDir(dir: string, opts: ReportOptions = {}): Promise<Summary> {
  const a = analyseRuns([dir], { ...opts, merge: false });
  if ('shards' in a) throw new Error('summarizeRunDir: one run, not shards');
  const profiled = await summarizeProfiles(a.inputs[0]!.run, a.summary);
  await writeFiles(a.out, [...(profiled?.files ?? []), { path: 'summary.json', content: `${JSON.stringify(a.summary, null, 2)}\n` }]);
  return a.summary;
}
