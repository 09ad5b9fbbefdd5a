import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { usageError } from '../../lib/errors.ts';
import { fileDigest } from '../../lib/manifest.ts';
import { RESULT_FILES, type RunMeta } from '../../lib/results.ts';
import type { LoadedRun } from '../load.ts';
import type { Summary } from '../summary.ts';
import { readElf, type ElfImage } from './elf.ts';
import { readRawProfile } from './raw.ts';
import { symbolize, type CodeGroup, type FunctionCount } from './symbolize.ts';

/**
 * How far a profile's instructions per exec may fall short of the window's
 * busy time (execbench's clock, less idle) before the summary says so: the
 * plugin counts a block whole when it faults midway, and the snapshot reads
 * around the marks are a few hundred instructions. Measured here: 0.0x %.
 */
export const PROFILE_TOLERANCE_PCT = 0.5;

export interface FunctionPerExec {
  group: CodeGroup;
  binary: string;
  function: string;
  perExec: number;
}

export interface AddedFunction extends FunctionPerExec {
  /** The same function's instructions per exec in the baseline scenario's profile. */
  baselinePerExec: number;
  delta: number;
}

/** One scenario's profile, over all its profiled boots, per exec of nop. */
export interface ScenarioProfile {
  scenario: string;
  kernel: string;
  boots: number;
  execs: number;
  /** The scenario its added functions are taken against; null for the baseline itself. */
  against: string | null;
  perExec: {
    /** Guest instructions the profiler counted. */
    profile: number;
    /** Guest time by execbench's clock over the same window, and the part of it no task ran. */
    window: number;
    idle: number;
    /** The mean of the boots' measured samples. */
    samples: number;
  };
  /** (window - idle - profile) / window: what the profile misses of the busy time. */
  bookkeepingPct: number;
  /** Of the kernel's instructions, the share whose bytes matched vmlinux at the boot's KASLR offset. */
  kernelMatchPct: number;
  groups: Record<CodeGroup, number>;
  /** attribution.csv by group, per exec. */
  tasks: { group: string; perExec: number }[];
  bpf: { name: string; progType: number; runsPerExec: number; nsPerExec: number }[];
  interruptsPerExec: number;
  softirqsPerExec: number;
  /** The top functions by instructions per exec; the folded file has them all. */
  functions: FunctionPerExec[];
  /** The functions that grew most against the baseline's profile. */
  added: AddedFunction[];
  /** Under profiles/: folded stacks, kind;binary;function count (flamegraph.pl, speedscope). */
  folded: string;
}

export interface ProfileSummary {
  runId: string;
  tolerancePct: number;
  scenarios: ScenarioProfile[];
}

const TOP_FUNCTIONS = 100;
const TOP_ADDED = 25;

async function checkedElf(entry: { path: string; sha256: string } | undefined, what: string): Promise<ElfImage> {
  if (!entry) throw usageError(`run.json names no ${what} for its profiles`);
  if (!existsSync(entry.path)) throw usageError(`${what} ${entry.path} is gone (the cache was cleared?); profile again with npm run profile`);
  if ((await fileDigest(entry.path)) !== entry.sha256) throw usageError(`${what} ${entry.path} is not the file this run was profiled with (its sha256 differs): the kernel was rebuilt since`);
  return readElf(entry.path);
}

function csvRows(path: string, text: string): Record<string, string>[] {
  try {
    return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (err) {
    throw usageError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The folded stacks of one scenario: three frames, what kind of code, which binary, which function. */
export function foldedStacks(functions: FunctionCount[]): string {
  return functions.map((f) => `${f.group};${f.binary};${f.function.replace(/[; ]/g, '_')} ${f.instructions}\n`).join('');
}

/**
 * The statistics stage of a profiling run: symbolises each guest's raw
 * profile, joins it with attribution.csv and bpf-runtime.csv, and takes each
 * scenario against its baseline. Returns the summary and the files to write
 * under profiles/; null for a run that was not profiled.
 */
export async function summarizeProfiles(run: LoadedRun, summary: Summary): Promise<{ profile: ProfileSummary; files: { path: string; content: string }[] } | null> {
  const meta = run.meta;
  if (!meta?.profiling) return null;
  const profiling = meta.profiling;
  const binaries = await Promise.all(Object.entries(profiling.binaries).map(async ([name, e]) => ({ name, image: await checkedElf(e, `the guest binary ${name}`) })));
  const kernels = new Map<string, ElfImage>();
  const vmlinuxOf = async (variant: string) => {
    if (!kernels.has(variant)) kernels.set(variant, await checkedElf(profiling.vmlinux[variant], `the vmlinux of kernel ${variant}`));
    return kernels.get(variant)!;
  };
  const bpfPath = join(run.dir, RESULT_FILES.bpfRuntime);
  // attribution.csv was read and checked with the run (reports/load.ts).
  const attribution = run.attribution;
  if (!attribution || !existsSync(bpfPath)) throw usageError(`${run.dir}: a profiling run without ${RESULT_FILES.attribution} or ${RESULT_FILES.bpfRuntime}`);
  const bpfRuntime = csvRows(bpfPath, await readFile(bpfPath, 'utf8'));

  const byScenario = new Map<string, RunMeta['guests']>();
  for (const g of meta.guests) {
    if (!g.profile) throw usageError(`${run.dir}/run.json: guest ${g.id} of a profiling run has no profile`);
    byScenario.set(g.scenario, [...(byScenario.get(g.scenario) ?? []), g]);
  }
  const counted = new Map<string, { functions: Map<string, FunctionCount>; execs: number }>();
  const scenarios: ScenarioProfile[] = [];
  const files: { path: string; content: string }[] = [];
  for (const [scenario, guests] of byScenario) {
    const kernel = meta.scenarios.find((s) => s.name === scenario)?.kernel;
    if (!kernel) throw usageError(`${run.dir}/run.json: guest of unknown scenario ${scenario}`);
    const vmlinux = await vmlinuxOf(kernel);
    const functions = new Map<string, FunctionCount>();
    let execs = 0;
    let profile = 0;
    let window = 0;
    let interrupts = 0;
    let softirqs = 0;
    let matchWeighted = 0;
    for (const g of guests) {
      const p = g.profile!;
      const path = join(run.dir, RESULT_FILES.profiles, p.file);
      const raw = await readRawProfile(path);
      const sym = symbolize(raw, {
        vmlinux, kernelText: BigInt(`0x${p.kernelText}`), binaries,
        bpfSymbols: p.bpfSymbols.map(([addr, name]) => ({ addr: BigInt(`0x${addr}`), name })),
      }, path);
      for (const f of sym.functions) {
        const key = `${f.group}\0${f.binary}\0${f.function}`;
        const c = functions.get(key);
        if (c) c.instructions += f.instructions;
        else functions.set(key, { ...f });
      }
      execs += p.execs;
      profile += raw.total;
      window += p.windowNs;
      interrupts += p.interrupts;
      softirqs += p.softirqs;
      matchWeighted += sym.kernelMatch * raw.total;
    }
    counted.set(scenario, { functions, execs });
    const mine = attribution.filter((r) => r.scenario === scenario);
    const tasks = new Map<string, number>();
    for (const r of mine) tasks.set(r.group, (tasks.get(r.group) ?? 0) + r.ns);
    const idle = tasks.get('idle') ?? 0;
    const bpf = new Map<string, { name: string; progType: number; runs: number; ns: number }>();
    for (const r of bpfRuntime.filter((x) => x.scenario === scenario)) {
      const b = bpf.get(r.name!) ?? { name: r.name!, progType: Number(r.prog_type), runs: 0, ns: 0 };
      b.runs += Number(r.run_cnt);
      b.ns += Number(r.run_time_ns);
      bpf.set(r.name!, b);
    }
    const measured = run.samples.filter((s) => s.scenario === scenario && !s.warmup);
    const sorted = [...functions.values()].sort((a, b) => b.instructions - a.instructions);
    const groups: Record<CodeGroup, number> = { kernel: 0, bpf: 0, user: 0, daemon: 0 };
    for (const f of sorted) groups[f.group] += f.instructions / execs;
    const folded = `${scenario.replace(/[^A-Za-z0-9._-]/g, '_')}.folded`;
    files.push({ path: `${RESULT_FILES.profiles}/${folded}`, content: foldedStacks(sorted) });
    scenarios.push({
      scenario, kernel, boots: guests.length, execs,
      against: null,
      perExec: { profile: profile / execs, window: window / execs, idle: idle / execs, samples: measured.reduce((s, x) => s + x.nsPerExec, 0) / measured.length },
      bookkeepingPct: ((window - idle - profile) / window) * 100,
      kernelMatchPct: (matchWeighted / profile) * 100,
      groups,
      tasks: [...tasks].map(([group, ns]) => ({ group, perExec: ns / execs })).sort((a, b) => b.perExec - a.perExec),
      bpf: [...bpf.values()].map((b) => ({ name: b.name, progType: b.progType, runsPerExec: b.runs / execs, nsPerExec: b.ns / execs })),
      interruptsPerExec: interrupts / execs,
      softirqsPerExec: softirqs / execs,
      functions: sorted.slice(0, TOP_FUNCTIONS).map((f) => ({ group: f.group, binary: f.binary, function: f.function, perExec: f.instructions / execs })),
      added: [],
      folded,
    });
  }
  // Against each scenario's own baseline, as the summary takes its overhead.
  for (const s of scenarios) {
    const against = summary.scenarios.find((x) => x.name === s.scenario)?.overhead?.against ?? (s.scenario === summary.baseline ? null : summary.baseline);
    const base = against ? counted.get(against) : undefined;
    if (!against || !base || against === s.scenario) continue;
    s.against = against;
    const mine = counted.get(s.scenario)!;
    const keys = new Set([...mine.functions.keys(), ...base.functions.keys()]);
    s.added = [...keys].map((k) => {
      const f = mine.functions.get(k) ?? { ...base.functions.get(k)!, instructions: 0 };
      const perExec = f.instructions / mine.execs;
      const baselinePerExec = (base.functions.get(k)?.instructions ?? 0) / base.execs;
      return { group: f.group, binary: f.binary, function: f.function, perExec, baselinePerExec, delta: perExec - baselinePerExec };
    }).sort((a, b) => b.delta - a.delta).slice(0, TOP_ADDED);
  }
  const profileSummary: ProfileSummary = { runId: meta.runId, tolerancePct: PROFILE_TOLERANCE_PCT, scenarios };
  files.push({ path: `${RESULT_FILES.profiles}/${RESULT_FILES.profile}`, content: `${JSON.stringify(profileSummary, null, 2)}\n` });
  return { profile: profileSummary, files };
}
