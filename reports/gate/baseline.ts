/**
 * Baselines: the measured samples of one run and what they depend on, in the
 * committed file format krsi-bench-baseline/1. A run directory converts to the
 * same shape in memory, so the gate compares two Baselines whatever it was given.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError, usageError } from '../../lib/errors.ts';
import { sourceLabel, type RunMeta, type WorkloadRecord } from '../../lib/results.ts';
import { loadRun, type LoadedRun } from '../load.ts';
import { bootSeries, runLayout } from '../boots.ts';
import { groupSamples } from '../summary.ts';
import { runAccounting } from '../latency.ts';
import { fieldReader, type FieldReader } from './fields.ts';

/**
 * /2 keeps each boot's samples with its seed, and the layout; /1 files (one
 * series per scenario, made with the fixed layout) are still read.
 */
export const BASELINE_FORMAT = 'krsi-bench-baseline/2';
const BASELINE_FORMAT_1 = 'krsi-bench-baseline/1';

/** The measurement mode of a run (see README: icount is instruction-time, kvm wall-clock). */
export type Mode = RunMeta['mode'];

/** One scenario's workload options as run.json records them. */
export type WorkloadDeps = WorkloadRecord;

/** What a run's numbers depend on: when any of it differs between two runs, their numbers do not compare. */
export interface DependsOn {
  mode: Mode;
  /** The kernels' source id (the source's digest with the suite's patches); several distinct ids are joined with "+". */
  kernel_source: string;
  /**
   * Kernel variant -> where its source came from, as sourceLabel words it
   * ("linux-source-6.12 6.12.118-1~deb12u1 (sha256 c93391b6a488)"); absent in
   * baselines from before sources were pinned.
   */
  kernel_sources?: Record<string, string>;
  /** Kernel variant -> config hash. */
  kernels: Record<string, string>;
  /** QEMU's version string. */
  qemu: string;
  workload_digest: string;
  /** Null when no scenario of the run loads BPF. */
  bpf_digest: string | null;
  /** Scenario -> its workload options. */
  workloads: Record<string, WorkloadDeps>;
  /** How boots chose their memory layouts (fixed for /1 files). */
  layout: 'random' | 'fixed';
  /**
   * With a random layout, the drawn links of each kernel its boots spread over (D, kernels/layout.ts):
   * seed s ran link s mod D. Absent where boots ran the build's own link (fixed layouts, files from before).
   */
  kernel_links?: number;
  /** "split" where the guests were restored from their seed's shared boot (bench/split-boot.ts); absent where each booted whole. */
  boots?: 'split';
}

/** One boot of a baseline scenario. */
export interface BaselineBoot {
  /** Null where the run did not record it (/1 files). */
  seed: number | null;
  /** Measured (non-warm-up) ns per exec, in run order, rounded to 0.001 ns. */
  samples_ns: number[];
  /** The boot's exec latency per exec (reports/latency.ts), rounded to 0.001 ns; absent where the run did not record the accounting. */
  latency_ns?: number;
}

/** One scenario of a baseline. */
export interface BaselineScenario {
  kernel: string;
  /** The scenario its overhead is taken against, when not baseline_scenario (the matrix's per-scenario baseline). */
  baseline?: string;
  boots: BaselineBoot[];
  /** Every boot's samples, one after another: derived from boots, not written to the file. */
  samples_ns: number[];
}

/** A baseline file (krsi-bench-baseline/1), or a run converted to the same shape. */
export interface Baseline {
  format: typeof BASELINE_FORMAT;
  /** ISO date the baseline was made (for a run converted in memory: the run's date). */
  created: string;
  from_run: string;
  suite_revision: string;
  mode: Mode;
  unit: string;
  /** The scenario overheads are computed against (the run's matrix baseline). */
  baseline_scenario: string;
  /** The matrix name; names the default baseline file. */
  matrix: string;
  depends_on: DependsOn;
  /** In run order. */
  scenarios: Record<string, BaselineScenario>;
}

/** A Baseline with where it came from. */
export interface BaselineSource {
  baseline: Baseline;
  /** The path as given. */
  path: string;
  kind: 'baseline file' | 'run directory';
  /** The loaded run, for a run directory. */
  run: LoadedRun | null;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** loadRun, with I/O failures (a file that cannot be read) turned into usage errors naming the path. */
function loadRunFiles(path: string): LoadedRun {
  try {
    return loadRun(path);
  } catch (err) {
    if (err instanceof BenchError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code) throw usageError(`${path}: cannot read the run: ${e.message}`);
    throw err;
  }
}

/** The fields of run.json the gate uses, checked (loadRun only parses it). */
function checkMeta(raw: unknown, file: string): RunMeta {
  const r = fieldReader(file);
  const m = r.obj(raw, '(top)');
  const suite = r.obj(m.suite, 'suite');
  r.str(suite.revision, 'suite.revision');
  r.str(suite.workloadDigest, 'suite.workloadDigest');
  r.strOrNull(suite.bpfDigest, 'suite.bpfDigest');
  r.str(m.runId, 'runId');
  r.str(m.date, 'date');
  if (m.mode !== 'icount' && m.mode !== 'kvm') throw r.fail('mode', `must be "icount" or "kvm", is ${JSON.stringify(m.mode)}`);
  r.str(m.unit, 'unit');
  const matrix = r.obj(m.matrix, 'matrix');
  r.str(matrix.name, 'matrix.name');
  r.str(matrix.baseline, 'matrix.baseline');
  r.str(r.obj(m.qemu, 'qemu').version, 'qemu.version');
  const kernels = r.arr(m.kernels, 'kernels');
  if (kernels.length === 0) throw r.fail('kernels', 'is empty');
  kernels.forEach((k, i) => {
    const o = r.obj(k, `kernels[${i}]`);
    for (const f of ['variant', 'configHash', 'sourceId']) r.str(o[f], `kernels[${i}].${f}`);
  });
  r.arr(m.scenarios, 'scenarios').forEach((s, i) => {
    const o = r.obj(s, `scenarios[${i}]`);
    r.str(o.name, `scenarios[${i}].name`);
    r.str(o.kernel, `scenarios[${i}].kernel`);
    checkWorkload(r, o.workload, `scenarios[${i}].workload`);
  });
  return raw as RunMeta;
}

function checkWorkload(r: FieldReader, raw: unknown, field: string): WorkloadDeps {
  const w = r.obj(raw, field);
  return {
    execs: r.int(w.execs, `${field}.execs`, 1),
    samples: r.int(w.samples, `${field}.samples`, 1),
    warmup: r.int(w.warmup, `${field}.warmup`, 0),
    warmupMax: w.warmupMax === undefined ? r.int(w.warmup, `${field}.warmup`, 0) : r.int(w.warmupMax, `${field}.warmupMax`, 0),
    ldPreload: r.strOrNull(w.ldPreload, `${field}.ldPreload`),
    envPages: r.int(w.envPages, `${field}.envPages`, 0),
  };
}

/** The Baseline of a loaded run; the run must have a run.json. */
export function baselineOfRun(run: LoadedRun): Baseline {
  const metaPath = join(run.dir, 'run.json');
  if (!run.meta) throw usageError(`${run.dir}: no run.json; the gate needs it to know what the samples depend on`);
  const meta = checkMeta(run.meta, metaPath);
  const groups = groupSamples([{ label: run.dir, samples: run.samples }]);
  const listed = new Map(meta.scenarios.map((s) => [s.name, s]));
  for (const [name, g] of groups) {
    if (!listed.has(name)) throw usageError(`${join(run.dir, 'samples.csv')}: scenario ${name} is not in ${metaPath}`);
    if (g.values.length === 0) throw usageError(`${join(run.dir, 'samples.csv')}: scenario ${name} has no measured samples (only warm-up)`);
  }
  const scenarios: Record<string, BaselineScenario> = {};
  const workloads: Record<string, WorkloadDeps> = {};
  const series = bootSeries([run]);
  const accounting = runAccounting(run);
  const latencyOf = (name: string, boot: number) => accounting?.get(name)?.find((a) => a.boot === boot)?.latencyNs;
  for (const [name] of groups) {
    const s = listed.get(name)!;
    const boots = series.get(name)!.map((b) => {
      const latency = latencyOf(name, b.boot);
      return { seed: b.seed, samples_ns: b.values.map(round3), ...(latency !== undefined && { latency_ns: round3(latency) }) };
    });
    const own = typeof s.baseline === 'string' && s.baseline !== meta.matrix.baseline && groups.has(s.baseline) ? { baseline: s.baseline } : {};
    scenarios[name] = { kernel: s.kernel, ...own, boots, samples_ns: boots.flatMap((b) => b.samples_ns) };
    const w = s.workload;
    workloads[name] = { execs: w.execs, samples: w.samples, warmup: w.warmup, warmupMax: w.warmupMax ?? w.warmup, ldPreload: w.ldPreload, envPages: w.envPages };
  }
  for (const name of listed.keys()) {
    if (!groups.has(name)) throw usageError(`${metaPath}: scenario ${name} has no samples in ${join(run.dir, 'samples.csv')}`);
  }
  return {
    format: BASELINE_FORMAT,
    created: meta.date,
    from_run: meta.runId,
    suite_revision: meta.suite.revision,
    mode: meta.mode,
    unit: meta.unit,
    baseline_scenario: meta.matrix.baseline,
    matrix: meta.matrix.name,
    depends_on: {
      mode: meta.mode,
      kernel_source: [...new Set(meta.kernels.map((k) => k.sourceId))].join('+'),
      ...(meta.kernels.every((k) => k.source) && { kernel_sources: Object.fromEntries(meta.kernels.map((k) => [k.variant, sourceLabel(k.source!)])) }),
      kernels: Object.fromEntries(meta.kernels.map((k) => [k.variant, k.configHash])),
      qemu: meta.qemu.version,
      workload_digest: meta.suite.workloadDigest,
      bpf_digest: meta.suite.bpfDigest,
      workloads,
      layout: runLayout(run),
      ...(runLayout(run) === 'random' && meta.options.kernelLinks !== undefined && { kernel_links: meta.options.kernelLinks }),
      ...(meta.options.splitBoots && { boots: 'split' as const }),
    },
    scenarios,
  };
}

/**
 * The same baseline with each boot's exec latency standing for its samples,
 * for gating latency by the same machinery; null when any boot lacks it.
 */
export function latencyView(b: Baseline): Baseline | null {
  const all = Object.values(b.scenarios).flatMap((s) => s.boots);
  if (!all.length || all.some((x) => x.latency_ns === undefined)) return null;
  const scenarios = Object.fromEntries(Object.entries(b.scenarios).map(([n, s]) => {
    const boots = s.boots.map((x) => ({ seed: x.seed, samples_ns: [x.latency_ns!], latency_ns: x.latency_ns! }));
    return [n, { ...s, boots, samples_ns: boots.map((x) => x.latency_ns) }];
  }));
  return { ...b, scenarios };
}

/** Loads a run directory (or its samples.csv) and converts it; usage errors name the file at fault. */
export function readRunAsBaseline(path: string): { baseline: Baseline; run: LoadedRun } {
  const run = loadRunFiles(path);
  return { baseline: baselineOfRun(run), run };
}

/** Checks a parsed baseline file; `file` names it in errors. */
export function checkBaseline(raw: unknown, file: string): Baseline {
  const r = fieldReader(file);
  const b = r.obj(raw, '(top)');
  if (b.format !== BASELINE_FORMAT && b.format !== BASELINE_FORMAT_1) {
    throw r.fail('format', `is ${JSON.stringify(b.format)}, expected "${BASELINE_FORMAT}" (not a krsi-bench baseline, or a newer format)`);
  }
  const v1 = b.format === BASELINE_FORMAT_1;
  for (const f of ['created', 'from_run', 'suite_revision', 'unit', 'baseline_scenario', 'matrix']) r.str(b[f], f);
  if (b.mode !== 'icount' && b.mode !== 'kvm') throw r.fail('mode', `must be "icount" or "kvm", is ${JSON.stringify(b.mode)}`);
  const d = r.obj(b.depends_on, 'depends_on');
  if (d.mode !== b.mode) throw r.fail('depends_on.mode', `is ${JSON.stringify(d.mode)} but mode is "${b.mode}"`);
  r.str(d.kernel_source, 'depends_on.kernel_source');
  if (d.kernel_sources !== undefined) for (const [k, v] of Object.entries(r.obj(d.kernel_sources, 'depends_on.kernel_sources'))) r.str(v, `depends_on.kernel_sources.${k}`);
  for (const [k, v] of Object.entries(r.obj(d.kernels, 'depends_on.kernels'))) r.str(v, `depends_on.kernels.${k}`);
  r.str(d.qemu, 'depends_on.qemu');
  r.str(d.workload_digest, 'depends_on.workload_digest');
  r.strOrNull(d.bpf_digest, 'depends_on.bpf_digest');
  const workloads = r.obj(d.workloads, 'depends_on.workloads');
  const scenarios = Object.entries(r.obj(b.scenarios, 'scenarios'));
  if (scenarios.length === 0) throw r.fail('scenarios', 'is empty');
  const layoutOf = v1 ? 'fixed' : d.layout;
  if (layoutOf !== 'random' && layoutOf !== 'fixed') throw r.fail('depends_on.layout', `must be "random" or "fixed", is ${JSON.stringify(d.layout)}`);
  if (d.kernel_links !== undefined) r.int(d.kernel_links, 'depends_on.kernel_links', 1);
  if (d.boots !== undefined && d.boots !== 'split') throw r.fail('depends_on.boots', `must be "split" or absent, is ${JSON.stringify(d.boots)}`);
  const read: Record<string, BaselineScenario> = {};
  for (const [name, s] of scenarios) {
    const o = r.obj(s, `scenarios.${name}`);
    r.str(o.kernel, `scenarios.${name}.kernel`);
    let boots: BaselineBoot[];
    if (v1) {
      boots = [{ seed: null, samples_ns: r.positives(o.samples_ns, `scenarios.${name}.samples_ns`) }];
    } else {
      boots = r.arr(o.boots, `scenarios.${name}.boots`).map((x, i) => {
        const bo = r.obj(x, `scenarios.${name}.boots[${i}]`);
        const field = `scenarios.${name}.boots[${i}]`;
        const latency = bo.latency_ns === undefined ? undefined : r.positives([bo.latency_ns], `${field}.latency_ns`)[0]!;
        return { seed: r.int(bo.seed, `${field}.seed`, 0), samples_ns: r.positives(bo.samples_ns, `${field}.samples_ns`), ...(latency !== undefined && { latency_ns: latency }) };
      });
      if (boots.length === 0) throw r.fail(`scenarios.${name}.boots`, 'is empty');
    }
    if (o.baseline !== undefined) {
      r.str(o.baseline, `scenarios.${name}.baseline`);
      if (!(typeof o.baseline === 'string' && o.baseline in (b.scenarios as object)) || o.baseline === name) throw r.fail(`scenarios.${name}.baseline`, `names no other scenario of this baseline: ${JSON.stringify(o.baseline)}`);
    }
    read[name] = { kernel: o.kernel as string, ...(o.baseline !== undefined && { baseline: o.baseline as string }), boots, samples_ns: boots.flatMap((x) => x.samples_ns) };
    checkWorkload(r, workloads[name], `depends_on.workloads.${name}`);
  }
  const base = raw as Baseline;
  return { ...base, format: BASELINE_FORMAT, depends_on: { ...base.depends_on, layout: layoutOf }, scenarios: read };
}

/** Reads and checks a baseline file. */
export function readBaselineFile(path: string): Baseline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`${path}: cannot read the baseline file: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw usageError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  return checkBaseline(raw, path);
}

/** --baseline: a baseline file, or a run directory (or its samples.csv) converted in memory. */
export function readBaselineSource(path: string): BaselineSource {
  if (!existsSync(path)) throw usageError(`${path}: no such baseline file or run directory`);
  if (statSync(path).isDirectory() || path.endsWith('.csv')) {
    const { baseline, run } = readRunAsBaseline(path);
    return { baseline, path, kind: 'run directory', run };
  }
  return { baseline: readBaselineFile(path), path, kind: 'baseline file', run: null };
}

// Objects at these paths get one key per line; everything else is written on one line,
// so a baseline file reads (and diffs) as one line per scenario and per dependency.
const EXPANDED = new Set(['', 'depends_on', 'depends_on.kernel_sources', 'depends_on.workloads', 'scenarios']);

function layout(value: unknown, path: string, indent: string): string {
  if (!EXPANDED.has(path) || typeof value !== 'object' || value === null || Array.isArray(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  const lines = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${layout(v, path ? `${path}.${k}` : k, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** The text of a baseline file: compact, stable key order, one scenario per line. */
export function formatBaseline(b: Baseline): string {
  const ordered: Baseline = {
    format: b.format,
    created: b.created,
    from_run: b.from_run,
    suite_revision: b.suite_revision,
    mode: b.mode,
    unit: b.unit,
    baseline_scenario: b.baseline_scenario,
    matrix: b.matrix,
    depends_on: {
      mode: b.depends_on.mode,
      kernel_source: b.depends_on.kernel_source,
      ...(b.depends_on.kernel_sources && { kernel_sources: b.depends_on.kernel_sources }),
      kernels: b.depends_on.kernels,
      qemu: b.depends_on.qemu,
      workload_digest: b.depends_on.workload_digest,
      bpf_digest: b.depends_on.bpf_digest,
      workloads: b.depends_on.workloads,
      layout: b.depends_on.layout,
      ...(b.depends_on.kernel_links !== undefined && { kernel_links: b.depends_on.kernel_links }),
      ...(b.depends_on.boots !== undefined && { boots: b.depends_on.boots }),
    },
    // samples_ns is derived from boots when the file is read.
    scenarios: Object.fromEntries(Object.entries(b.scenarios).map(([n, x]) => [n, { kernel: x.kernel, ...(x.baseline !== undefined && { baseline: x.baseline }), boots: x.boots }])) as unknown as Baseline['scenarios'],
  };
  return `${layout(ordered, '', '')}\n`;
}
