import { targetOf } from './guest/exec-target.ts';
import { usageError } from '../lib/errors.ts';
import { DEFAULT_WORKLOAD, type Matrix, type Scenario, type WorkloadOptions } from './matrix.ts';
import type { BenchOptions } from './options.ts';

/** One guest boot: a scenario with its workload settled. */
export interface GuestJob {
  /** `<scenario>-boot<b>`: names its logs. */
  id: string;
  scenario: Scenario;
  boot: number;
  workload: WorkloadOptions;
  seed: number;
}

export function selectScenarios(matrix: Matrix, names: string[] | null): Scenario[] {
  if (!names) return matrix.scenarios;
  const known = matrix.scenarios.map((s) => s.name);
  for (const n of names) {
    if (!known.includes(n)) throw usageError(`unknown scenario "${n}" in --scenarios (matrix ${matrix.name} has: ${known.join(', ')})`);
  }
  return matrix.scenarios.filter((s) => names.includes(s.name));
}

/** Command-line values win over the scenario's, which win over the defaults. */
export function resolveWorkload(scenario: Scenario, opts: Pick<BenchOptions, 'samples' | 'execs' | 'warmup'> & Partial<Pick<BenchOptions, 'warmupMax'>>): WorkloadOptions {
  const w: WorkloadOptions = {
    ...DEFAULT_WORKLOAD,
    ...scenario.workload,
    ...(opts.samples !== undefined && { samples: opts.samples }),
    ...(opts.execs !== undefined && { execs: opts.execs }),
    ...(opts.warmup !== undefined && { warmup: opts.warmup }),
    ...(opts.warmupMax !== undefined && { warmupMax: opts.warmupMax }),
  };
  if (w.warmupMax < w.warmup) {
    // Only the default bound gives way to a larger minimum; one that was asked for is honoured or refused.
    const asked = opts.warmupMax !== undefined ? '--warmup-max' : scenario.workload.warmupMax !== undefined ? `scenario ${scenario.name}'s workload.warmupMax` : null;
    if (asked) throw usageError(`${asked} ${w.warmupMax} is below the minimum warm-up ${w.warmup}`);
    w.warmupMax = w.warmup;
  }
  // execbench splits a sample's execs evenly over its processes.
  if (w.procs !== undefined && w.execs % w.procs !== 0) throw usageError(`scenario ${scenario.name}: ${w.execs} execs per sample do not split evenly over its ${w.procs} processes (workload.procs)`);
  if (w.ldPreloadDecoy !== undefined && w.ldPreload === null) throw usageError(`scenario ${scenario.name}: workload.ldPreloadDecoy comes before an LD_PRELOAD, and ldPreload is null`);
  return w;
}

/**
 * Every scenario boots its own guest: the order of scenarios inside one boot
 * shifts later ones by 1-2 %, so they are never run one after another in a guest.
 * Boots of one scenario get seeds seed, seed+1, ...
 */
export function planJobs(scenarios: Scenario[], opts: Pick<BenchOptions, 'samples' | 'execs' | 'warmup' | 'seed'> & { boots: number } & Partial<Pick<BenchOptions, 'warmupMax'>>): GuestJob[] {
  const jobs: GuestJob[] = [];
  for (const scenario of scenarios) {
    const workload = resolveWorkload(scenario, opts);
    for (let boot = 0; boot < opts.boots; boot++) {
      jobs.push({ id: `${scenario.name}-boot${boot}`, scenario, boot, workload, seed: opts.seed + boot });
    }
  }
  return jobs;
}

/**
 * The guests of one shard: every count-th job from index-1, so that shards get
 * a similar mix of scenarios. In icount mode a guest's result does not depend
 * on where it runs, so the shards joined equal one unsharded run.
 */
export function shardJobs(jobs: GuestJob[], shard: BenchOptions['shard']): GuestJob[] {
  if (!shard) return jobs;
  const mine = jobs.filter((_, i) => i % shard.count === shard.index - 1);
  if (mine.length === 0) throw usageError(`--shard ${shard.index}/${shard.count}: only ${jobs.length} guests to share, this shard has none`);
  return mine;
}

/** Execs the guest runs for a job at most, warm-up included. */
export function totalExecs(w: WorkloadOptions): number {
  return (w.warmupMax + w.samples) * w.execs;
}

/**
 * A guest's wall time in execs of nop, for ordering guests and kernels and for
 * the run's time left. Fitted to the default run's guests (wallSeconds in
 * run.json, 2026-12-04, split boots under icount): an exec of nop about 1.4 ms,
 * a restored guest's fixed part (QEMU's start and load, the scenario's setup,
 * the result's way out) about 1.7 s or 1200 execs, a whole boot to /init a
 * little more; auditd's start about 400 execs; an audit rule on exec makes
 * each exec 84 % dearer and its records' checks cost about 1500 execs; each
 * BPF tool's load about 1200.
 */
export function guestCost(job: GuestJob): number {
  const bootInExecs = 1400;
  const s = job.scenario;
  const rules = (s.audit?.rules.length ?? 0) > 0;
  // The dynamic target's exec runs the loader too: about twice nop's.
  const target = targetOf(job.workload) === 'dynamic' ? 2 : 1;
  return bootInExecs + totalExecs(job.workload) * (target + (rules ? 0.84 : 0))
    + (s.audit?.daemon ? 400 : 0) + (rules ? 1500 : 0) + 1200 * s.bpf.length;
}

/** A split boot's shared part, booted to the split point and saved: about 3 s, in execs of nop as guestCost counts. */
export const SHARED_BOOT_COST = 2100;

/**
 * The order to build kernels in: the most guest time first. Under icount the
 * guests of a built kernel run while the next one compiles; those of the last
 * kernel run after every compile, with nothing beside them, so the kernel
 * with the least guest time goes last. Ties keep the given order.
 */
export function buildOrder(kernels: string[], jobs: GuestJob[]): string[] {
  const load = (k: string) => jobs.filter((j) => j.scenario.kernel === k).reduce((sum, j) => sum + guestCost(j), 0);
  return kernels.map((k, i) => ({ k, i, load: load(k) })).sort((a, b) => b.load - a.load || a.i - b.i).map((e) => e.k);
}

/**
 * The order guests start in: kernel by kernel as they are built, and within
 * one kernel the dearest first, so that the last guest to finish does not run
 * alone. Indices into `jobs`; ties keep the given order.
 */
export function guestOrder(jobs: GuestJob[], kernelOrder: string[]): number[] {
  const built = (j: GuestJob) => kernelOrder.indexOf(j.scenario.kernel);
  return jobs.map((_, i) => i).sort((a, b) => built(jobs[a]!) - built(jobs[b]!) || guestCost(jobs[b]!) - guestCost(jobs[a]!) || a - b);
}
