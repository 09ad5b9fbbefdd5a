/**
 * The results format, the contract between the runner and every later stage:
 * a run directory's file names, the CSV headers, the run.json schema and its
 * validator, and the check that a run's samples are all there. The runner
 * writes through it (bench/store.ts) and every reader reads through it
 * (reports/load.ts), so the two cannot drift apart.
 *
 * results/<run-id>/ holds run.json, samples.csv, events.csv and summary.json
 * (the data, written first), then report.html and the plots, and logs/. A run
 * is written into <run-id>.partial/ and renamed only once its data and
 * summary are whole; a failed one is left as <run-id>.failed/ with error.txt
 * and its logs, and no data files.
 *
 * A profiling run (`npm run profile`) adds attribution.csv and
 * bpf-runtime.csv beside them, and profiles/ with each guest's raw
 * instruction counts (<guest>.tb, from profiler/krsi_profile.c); its summary
 * stage writes profiles/profile.json and one <scenario>.folded each.
 */

import { stringify } from 'csv-stringify/sync';
import { usageError } from './errors.ts';

export const RESULT_FILES = {
  meta: 'run.json',
  samples: 'samples.csv',
  events: 'events.csv',
  summary: 'summary.json',
  report: 'report.html',
  error: 'error.txt',
  logs: 'logs',
  attribution: 'attribution.csv',
  bpfRuntime: 'bpf-runtime.csv',
  profiles: 'profiles',
  profile: 'profile.json',
} as const;

export const PARTIAL_SUFFIX = '.partial';
export const FAILED_SUFFIX = '.failed';

export const SAMPLES_HEADER = ['scenario', 'kernel', 'boot', 'sample', 'warmup', 'execs', 'ns_per_exec'] as const;
export const EVENTS_HEADER = ['scenario', 'kernel', 'boot', 'source', 'execs', 'expected', 'logged', 'matched', 'lost', 'ok'] as const;
/** Written after the others; files of older runs lack them. */
export const EVENTS_TRUNCATED = 'truncated';
export const EVENTS_UNACCOUNTED = 'unaccounted';
/** How long a logger's records took from the hook to its file (bpf/krsi_exec_record.c); empty for the others. */
export const EVENTS_DELAY = ['delay_p50_ns', 'delay_p99_ns', 'delay_max_ns', 'writes'] as const;

/** A logger's delay from the kernel's hook to the record's write(2) returning, over one boot's records. */
export interface LogDelay {
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  /** write(2) calls that put them in the file: as many as records unbatched, fewer batched. */
  writes: number;
}

export interface SampleRow {
  scenario: string;
  kernel: string;
  boot: number;
  sample: number;
  warmup: boolean;
  execs: number;
  nsPerExec: number;
}

/** One row of events.csv: what the instrumentation of one boot logged, against what it should have. */
export interface EventRow {
  scenario: string;
  kernel: string;
  boot: number;
  source: string;
  execs: number;
  expected: number;
  logged: number;
  matched: number;
  /** Null where nothing can tell (a user's program): an empty cell, never 0. */
  lost: number | null;
  /** Events whose content was cut; 0 in files from before the column. */
  truncated: number;
  /**
   * Events the program emitted that the logger neither logged nor counted as
   * lost (below 0: counted twice). Null where nothing can tell: audit, a user's
   * program, the seccomp supervisor, files from before the column.
   */
  unaccounted: number | null;
  /** Null for every logger but the exec logger, and in files from before the columns. */
  delay: LogDelay | null;
  ok: boolean;
}

/**
 * One row of attribution.csv: the guest instruction-time one task (or the
 * children execbench waited for, or idle) took between the first measured
 * sample and the end of the last (workloads/attribution.c), and the time it
 * spent runnable but waiting for the CPU. The rows of a boot add up to its
 * window: idle is what no task ran.
 */
export interface AttributionRow {
  scenario: string;
  kernel: string;
  boot: number;
  /** workload, auditd, kauditd, bpf logger, seccomp supervisor, softirq threads, other tasks, idle. */
  group: string;
  /** The task's comm, or "exited children" and "idle". */
  task: string;
  /** Null for the rows that are no one task. */
  pid: number | null;
  ns: number;
  /**
   * Run delay (schedstat): runnable, waiting while another task held the
   * CPU. For exited children, the kernel's total less every live task's; 0
   * for idle; null in files from before the column (latency not measured).
   */
  delayNs: number | null;
  /** Execs of nop in that window: measured samples x execs per sample. */
  execs: number;
}

export const ATTRIBUTION_HEADER = ['scenario', 'kernel', 'boot', 'group', 'task', 'pid', 'ns', 'execs', 'ns_per_exec'] as const;
/** Added when every run began to record the accounting: absent from profiling runs made before. */
export const ATTRIBUTION_DELAY = 'delay_ns';

/** One row of bpf-runtime.csv: a loaded program's run statistics over the same window (kernel.bpf_stats_enabled). */
export interface BpfRuntimeRow {
  scenario: string;
  kernel: string;
  boot: number;
  progId: number;
  /** enum bpf_prog_type, as a number (29 is BPF_PROG_TYPE_LSM). */
  progType: number;
  name: string;
  runCount: number;
  runTimeNs: number;
  execs: number;
}

export const BPF_RUNTIME_HEADER = ['scenario', 'kernel', 'boot', 'prog_id', 'prog_type', 'name', 'run_cnt', 'run_time_ns', 'execs', 'runs_per_exec', 'ns_per_exec'] as const;

const perExec = (v: number, execs: number) => Number((v / execs).toFixed(3));

export function attributionCsv(rows: AttributionRow[]): string {
  return stringify(
    rows.map((r) => [r.scenario, r.kernel, r.boot, r.group, r.task, r.pid ?? '', r.ns, r.execs, perExec(r.ns, r.execs), r.delayNs ?? '']),
    { header: true, columns: [...ATTRIBUTION_HEADER, ATTRIBUTION_DELAY] },
  );
}

export function bpfRuntimeCsv(rows: BpfRuntimeRow[]): string {
  return stringify(
    rows.map((r) => [r.scenario, r.kernel, r.boot, r.progId, r.progType, r.name, r.runCount, r.runTimeNs, r.execs, perExec(r.runCount, r.execs), perExec(r.runTimeNs, r.execs)]),
    { header: true, columns: [...BPF_RUNTIME_HEADER] },
  );
}

export function samplesCsv(rows: SampleRow[]): string {
  return stringify(
    rows.map((r) => [r.scenario, r.kernel, r.boot, r.sample, r.warmup ? 1 : 0, r.execs, r.nsPerExec]),
    { header: true, columns: [...SAMPLES_HEADER] },
  );
}

export function eventsCsv(checks: EventRow[]): string {
  return stringify(
    // An unknown loss is an empty cell, never 0.
    checks.map((c) => [
      c.scenario, c.kernel, c.boot, c.source, c.execs, c.expected, c.logged, c.matched, c.lost ?? '', c.ok ? 1 : 0, c.truncated, c.unaccounted ?? '',
      ...(c.delay ? [c.delay.p50Ns, c.delay.p99Ns, c.delay.maxNs, c.delay.writes] : ['', '', '', '']),
    ]),
    { header: true, columns: [...EVENTS_HEADER, EVENTS_TRUNCATED, EVENTS_UNACCOUNTED, ...EVENTS_DELAY] },
  );
}

/** What the guest runs, as the matrix gives it (bench/matrix.ts WorkloadOptions) and run.json records it. */
export interface WorkloadRecord {
  /** fork+execve+waitpid per sample (the talk: 100). */
  execs: number;
  /** Measured samples. */
  samples: number;
  /**
   * Warm-up samples before them, at least: kept in the data, excluded from
   * statistics. Where warmupMax is above it, the guest goes on warming up until
   * two warm-ups in a row agree within WARMUP_TOLERANCE_PCT (bench/matrix.ts),
   * up to warmupMax in all.
   */
  warmup: number;
  /** At most this many warm-up samples; equal to warmup for a fixed count, and in runs from before warm-up was adaptive. */
  warmupMax: number;
  /** LD_PRELOAD in the exec'd program's environment, or null to leave it unset. */
  ldPreload: string | null;
  /** Pages (4 KiB) of filler environment variables before LD_PRELOAD, 0..32. */
  envPages: number;
  /** Processes the execs of a sample come from at once (execbench --procs), 1 but for a burst; absent in older runs. */
  procs?: number;
  /** The guest's vCPUs (QEMU -smp): more than 1 needs a kernel with CONFIG_SMP; absent in older runs (1). */
  cpus?: number;
  /** How the children exec nop (execbench --exec-call); absent: execve. */
  execCall?: 'execve' | 'execveat';
  /** An earlier LD_PRELOAD, first in the environment, that the loader does not use (it takes the last); absent: none. */
  ldPreloadDecoy?: string;
  /** Short variables (`T000042=1`) between the filler pages and LD_PRELOAD; absent: 0. */
  tinyVars?: number;
  /** Then an empty string and a variable of exactly 255 bytes, where chunked readers break (execbench --edge-strings); absent: none. */
  edgeStrings?: boolean;
  /**
   * What is exec'd (bench/guest/exec-target.ts): the talk's static nop, or a dynamically linked program with
   * arguments and a shell's environment; absent: nop.
   */
  target?: 'nop' | 'dynamic';
}

export interface AuditRecord {
  daemon: boolean;
  enable: boolean;
  rules: string[];
  /** Where each rule came from, when some came from rules files ("30-stig.rules line 12"; "" for an inline one). */
  origins?: string[];
  /** auditd.conf settings that replaced the packaged file's; absent where none did. */
  auditdConf?: Record<string, string>;
  /** Packaged auditd plugins that were turned on; absent where none was. */
  plugins?: string[];
}

export type BpfRecord = { tool: string; program?: string; bufferBytes?: number; onlySet?: boolean; maxSteps?: number; batch?: boolean } | { name: string; path: string; compile: boolean; programs: string[] };

/** How a report answers a question of the matrix (reports/report/questions.ts). */
export const QUESTION_PLOTS = ['env-pages', 'forest', 'rule-count'] as const;

/**
 * A question a matrix asks, and the scenarios that answer it: the report
 * opens with one section per question, a sentence in numbers and a plot.
 * env-pages: overhead against the environment's pages, one line per design;
 * forest: the scenarios' overheads side by side; rule-count: overhead
 * against the number of audit rules, on a log axis.
 */
export interface Question {
  title: string;
  scenarios: string[];
  plot: (typeof QUESTION_PLOTS)[number];
  /** What a reader must know beside a scenario's figure, by scenario: printed after the answer. */
  notes?: Record<string, string>;
}

/**
 * Where a kernel's source came from (kernels/pins.ts, kernels/source.ts): a
 * Debian package at an exact version, or a tarball or tree given by path.
 */
export interface KernelSourceRecord {
  /** As named: linux-source-6.12=6.12.118-1~deb12u1, or the tarball's or tree's path. */
  spec: string;
  kind: 'package' | 'tarball' | 'tree';
  /** The Debian package and version, for a package or a tarball whose digest is a pin's; else null. */
  package: string | null;
  version: string | null;
  /** sha256 of the tarball; null for a tree. */
  sha256: string | null;
  /** Whether it is one of the suite's pinned sources. */
  pinned: boolean;
}

/** How messages and the gate name a source: the package version and tarball digest, or the tree. */
export function sourceLabel(s: KernelSourceRecord): string {
  const digest = s.sha256 ? ` (sha256 ${s.sha256.slice(0, 12)})` : '';
  if (s.package && s.version) return `${s.package} ${s.version}${digest}${s.pinned ? '' : ', unpinned'}`;
  return s.kind === 'tree' ? `tree ${s.spec}` : `tarball ${s.spec}${digest}, unpinned`;
}

/** run.json: what a run measured and on what, enough to judge whether two runs compare. */
export interface RunMeta {
  suite: { name: 'krsi-bench'; revision: string; workloadDigest: string; bpfDigest: string | null };
  runId: string;
  date: string;
  mode: 'icount' | 'kvm';
  /** What one nanosecond of the results is. */
  unit: string;
  /** questions: absent in runs of matrices without them, and in older runs. */
  matrix: { name: string; source: string; baseline: string; description?: string; questions?: Question[] };
  /** layout: absent in runs made before layouts were drawn, which had the fixed one. */
  options: { samples: number | null; execs: number | null; warmup: number | null; warmupMax?: number | null; boots: number; jobs: number; seed: number; scenarios: string[] | null; layout?: 'random' | 'fixed';
    /** With a random layout, the kernel links the boots spread over (D; absent in runs from before, which ran the build's own). */
    kernelLinks?: number;
    /** true: guests were restored from their seed's shared boot (bench/split-boot.ts); absent: each booted whole. */
    splitBoots?: boolean;
  };
  /** Set when this run is one slice of a sharded run (--shard I/N). */
  shard?: { index: number; count: number } | null;
  /** Set when this run was joined from the run directories of its shards. */
  mergedFrom?: string[];
  host: { cpu: string; cores: number; kernel: string; os: string };
  /** cmdline: the kernel arguments every guest gets; each kernel adds its bootArgs. */
  qemu: { version: string; cmdline: string; cpu?: string };
  kernels: {
    variant: string;
    version: string;
    configHash: string;
    sourceId: string;
    /** Where its source came from; absent in runs from before sources were pinned. */
    source?: KernelSourceRecord;
    /** The suite's patches applied to its source (kernels/patches/); absent in older runs. */
    patches?: string[];
    /** Kernel arguments of this kernel's guests beyond qemu.cmdline; absent in older runs. */
    bootArgs?: string[];
    /** The audit and LSM options, for reports. */
    options: Record<string, string | null>;
  }[];
  scenarios: {
    name: string;
    description: string;
    kernel: string;
    workload: WorkloadRecord;
    audit: AuditRecord | null;
    bpf: BpfRecord[];
    /** A seccomp filter execbench installed (bench/matrix.ts SeccompSetup); absent in older runs. */
    seccomp?: 'filter' | 'notify' | null;
    /** The scenario this one's overhead is taken against, when not matrix.baseline; absent in older runs. */
    baseline?: string;
    /** Kernel arguments its guests got beyond qemu.cmdline and their kernel's bootArgs. */
    kernelArgs?: string[];
  }[];
  /**
   * sameGuestAs: the guest whose samples this one's are, booted once for both (bench/guests.ts); absent otherwise.
   * sharedBoot: a split boot's shared part this guest was restored from (bench/split-boot.ts; its logs are
   * logs/<sharedBoot>.*), wallSeconds then counting from the restore; absent for guests booted whole.
   * profile: in a profiling run, the guest's raw profile under profiles/, and the addresses the
   * guest's /proc/kallsyms gave for _text and the BPF programs.
   */
  guests: {
    id: string; scenario: string; boot: number; seed: number; wallSeconds: number; kernelRelease: string; lsm: string; sameGuestAs?: string; sharedBoot?: string;
    /**
     * ns in the accounting window during which the exec'ing tasks' cgroup had a task runnable and none
     * running (cpu.pressure "full"): what exec latency leaves out. Absent in runs from before, or where
     * the guest's kernel has no PSI.
     */
    stallNs?: number;
    /** CPUs online in the guest (its /proc/schedstat), which attribution.csv's rows add up over; absent in runs from before. */
    onlineCpus?: number;
    /**
     * The layout this boot linked execbench in (bench/guest/workload-layout.ts); absent with --layout fixed,
     * in profiling runs (their profiles are symbolised with one execbench) and in runs from before.
     */
    workloadLayout?: { textPad: number; rodataPad: number; dataPad: number; bssPad: number; order: string[] };
    /**
     * The link of its kernel this boot ran (kernels/layout.ts): which draw (seed mod D), the padding
     * before the main text and the digest of the objects' text order; absent where it ran the build's
     * own link (--layout fixed, profiling runs, runs from before).
     */
    kernelLayout?: { draw: number; textPad: number; orderDigest: string };
    /**
     * Where auditd wrote, in boots that ran it: "<file system> <enriched>/<SYSCALL records>", e.g.
     * "ext4 2400/2400" (bench/guest/init-script.ts); absent in runs from before.
     */
    auditLog?: string;
    /**
     * The directories the audit rules named that the guest did not have and made, empty, before loading
     * them ("/etc/selinux /etc/sudoers.d", or "none"); absent where no rule names a path.
     */
    ruleDirs?: string;
    profile?: GuestProfileRecord;
  }[];
  /** Set in profiling runs: what the summary stage symbolises the profiles with. */
  profiling?: ProfilingRecord;
}

export interface GuestProfileRecord {
  /** File name under profiles/. */
  file: string;
  /** The guest's _text, hex: vmlinux's _text plus the boot's KASLR offset. */
  kernelText: string;
  /** The JIT-compiled programs and trampolines the guest's kallsyms listed: [address hex, name]. */
  bpfSymbols: [string, string][];
  /** Guest ns from the first measured sample to the end of the last, by execbench's clock. */
  windowNs: number;
  /** Execs of nop in that window. */
  execs: number;
  /** Interrupts and softirqs raised in it: counted by the kernel, not timed. */
  interrupts: number;
  softirqs: number;
}

export interface ProfilingRecord {
  /** sha256 of profiler/krsi_profile.so. */
  pluginDigest: string;
  /** Kernel variant -> its vmlinux (symbols kept, debug info stripped) and that file's sha256. */
  vmlinux: Record<string, { path: string; sha256: string }>;
  /** The guest's static binaries, which user addresses are symbolised against. */
  binaries: Record<string, { path: string; sha256: string }>;
}

export const UNITS = {
  icount: 'instruction-time ns (1 ns = 1 guest instruction, QEMU -icount shift=0)',
  kvm: 'ns of wall-clock time in a KVM guest',
} as const;

/**
 * Every boot that run.json lists has its samples, and no more: a samples.csv
 * cut short at a line boundary, or rows of another run pasted in, parse fine
 * and would otherwise be reported as if whole.
 */
export function checkSampleCounts(samplesPath: string, meta: RunMeta, samples: SampleRow[]): void {
  const workloads = new Map((meta.scenarios ?? []).filter((s) => s.workload).map((s) => [s.name, s.workload]));
  const counts = new Map<string, { measured: number; warmup: number }>();
  for (const s of samples) {
    const key = `${s.scenario} boot ${s.boot}`;
    const c = counts.get(key) ?? { measured: 0, warmup: 0 };
    if (s.warmup) c.warmup++;
    else c.measured++;
    counts.set(key, c);
  }
  const problems: string[] = [];
  for (const g of meta.guests ?? []) {
    const key = `${g.scenario} boot ${g.boot}`;
    const w = workloads.get(g.scenario);
    const c = counts.get(key) ?? { measured: 0, warmup: 0 };
    counts.delete(key);
    if (!w) continue;
    const most = w.warmupMax ?? w.warmup;
    if (c.measured !== w.samples) problems.push(`${key} has ${c.measured} of its ${w.samples} samples`);
    else if (c.warmup < w.warmup || c.warmup > most) problems.push(`${key} has ${c.warmup} warm-up samples, not ${w.warmup === most ? w.warmup : `${w.warmup}-${most}`}`);
  }
  if (meta.guests?.length) for (const key of counts.keys()) problems.push(`${key} is not a boot of run.json`);
  if (problems.length) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    throw usageError(`${samplesPath}: does not match run.json, truncated or edited? ${problems.slice(0, 3).join('; ')}${more}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The parts of run.json that readers rely on to check a run: an object, its
 * scenarios with their workloads, and its guests. Runs of older versions lack
 * fields added since; those are optional here and wherever they are read.
 */
export function validateRunMeta(path: string, raw: unknown): RunMeta {
  if (!isObj(raw)) throw usageError(`${path}: not a run description (expected a JSON object)`);
  const bad = (field: string, what: string) => usageError(`${path}: ${field} ${what}`);
  if (raw.scenarios !== undefined) {
    if (!Array.isArray(raw.scenarios)) throw bad('scenarios', 'is not a list');
    raw.scenarios.forEach((s: unknown, i) => {
      if (!isObj(s) || typeof s.name !== 'string') throw bad(`scenarios[${i}]`, 'has no name');
      const w = s.workload;
      if (w !== undefined && (!isObj(w) || !Number.isInteger(w.samples) || !Number.isInteger(w.warmup))) throw bad(`scenarios[${i}].workload`, 'needs whole-number samples and warmup');
    });
  }
  if (raw.guests !== undefined) {
    if (!Array.isArray(raw.guests)) throw bad('guests', 'is not a list');
    raw.guests.forEach((g: unknown, i) => {
      if (!isObj(g) || typeof g.scenario !== 'string' || !Number.isInteger(g.boot)) throw bad(`guests[${i}]`, 'needs a scenario and a whole-number boot');
    });
  }
  return raw as unknown as RunMeta;
}

