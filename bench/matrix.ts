import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { usageError } from '../lib/errors.ts';
import { FRAGMENTS_DIR, type KernelVariant } from '../kernels/variants.ts';
import { fieldsOf, isObj, NAME_RE, type Fields } from './matrix-fields.ts';
import { PACKAGED_RULES_PREFIX, prepareAuditd } from './guest/auditd.ts';
import { cachePath } from '../lib/cache.ts';
import { isBpfTool, validateAudit, validateBpf, validateKernels, validateQuestions, validateSeccomp, validateWorkload } from './matrix-sections.ts';

export { BPF_TOOLS, isBpfTool } from './matrix-sections.ts';
import type { Question, WorkloadRecord } from '../lib/results.ts';

/** What the guest runs; every field has a default (see DEFAULT_WORKLOAD). */
export type WorkloadOptions = WorkloadRecord;

/**
 * How close, in percent, two warm-ups in a row must be for the guest to start
 * measuring, when warm-up is adaptive (`--warmup-max` above `--warmup`).
 */
export const WARMUP_TOLERANCE_PCT = 0.5;

/**
 * One warm-up sample by default, not an adaptive count. The sample after any
 * guest idle is cheap (work each 100 execs leave for the next is done in the
 * idle), and the snapshot program's pause comes after the warm-ups however
 * many there are, so more of them did not bring the measured samples nearer
 * the steady level; they cost 41 % of the default run's samples
 * (docs/methodology.md, "The workload and its warm-up"). The guard against a
 * boot that is not steady is the check on its measured samples.
 */
export const DEFAULT_WORKLOAD: WorkloadOptions = {
  execs: 100,
  samples: 4,
  warmup: 1,
  warmupMax: 1,
  ldPreload: '/lib/libkrsi-demo.so',
  envPages: 0,
};

/** Linux audit in the guest. */
export interface AuditSetup {
  /** Start auditd (from Debian's package) before the workload. */
  daemon: boolean;
  /** `auditctl -e 1`. */
  enable: boolean;
  /** auditctl arguments, one rule each: "-a always,exit -F arch=b64 -S execve". */
  rules: string[];
  /**
   * Where each rule came from when some came from rules files ("30-stig.rules line 12"; "" for an inline
   * one), for the guest's error when auditctl refuses it; absent when all are inline.
   */
  origins?: string[];
  /** auditd.conf settings that replace those of the file Debian's package ships (bench/guest/auditd-conf.ts). */
  auditdConf?: Record<string, string>;
  /** Packaged auditd plugins turned on (bench/guest/auditd-plugins.ts): "syslog". */
  plugins?: string[];
}

/** A BPF tool from bpf/: its own loader runs in the guest, logs what the program sends, and its events are checked. */
export interface BpfTool {
  tool: string;
  /** Which of the tool's programs to load, for a tool with several (krsi_hooks). */
  program?: string;
  /** Its event channel's size in bytes (loader -b): a power of two, at least 4096. */
  bufferBytes?: number;
  /** Send only execs whose environment sets LD_PRELOAD (loader -s): filtering in the kernel. */
  onlySet?: boolean;
  /** At most this many chunks of an exec's strings read (loader -l); absent: all that the kernel allows. */
  maxSteps?: number;
  /** A batched consumer (loader -B): the program wakes it only past a threshold, or it polls on a timer. */
  batch?: boolean;
}

/**
 * A user's BPF program: an object, or a `.bpf.c` source the suite compiles
 * against the kernel's BTF, loaded by bpf_attach with the named programs
 * attached (all when none is named). Its ring-buffer records are counted, not checked.
 */
export interface BpfObject {
  /** Guest-side name: the file name without .bpf.c / .bpf.o. */
  name: string;
  /** Absolute path of the .bpf.o or .bpf.c. */
  path: string;
  compile: boolean;
  programs: string[];
}

export type BpfSetup = BpfTool | BpfObject;

/**
 * A seccomp filter that execbench installs on itself before it forks
 * (workloads/seccomp.c): `filter` allows everything, `notify` sends each
 * execve to a supervisor that logs it.
 */
export type SeccompSetup = 'filter' | 'notify';


export interface Scenario {
  name: string;
  description: string;
  /** A kernel variant name: built in (noaudit, audit) or from the matrix's `kernels`. */
  kernel: string;
  audit: AuditSetup | null;
  bpf: BpfSetup[];
  seccomp: SeccompSetup | null;
  workload: Partial<WorkloadOptions>;
  /** The scenario its overhead is taken against, when not the matrix's baseline. */
  baseline?: string;
  /** Kernel arguments its guests get beyond the suite's and the kernel's ("init_on_alloc=1"). */
  kernelArgs?: string[];
}

export interface Matrix {
  name: string;
  description: string;
  /** The scenario overheads are computed against. */
  baseline: string;
  kernels: Record<string, KernelVariant>;
  scenarios: Scenario[];
  /** What the report answers first, each from some of the scenarios. */
  questions: Question[];
  /** Boots per scenario when --boots is not given; undefined for the suite's default. */
  boots?: number;
  /** Where the matrix came from: a built-in name or a file path. */
  source: string;
}

const MATRICES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'matrices');

/** Loads `seed` (or another built-in name) or a JSON / TypeScript matrix file, validated. */
export async function loadMatrix(nameOrPath: string): Promise<Matrix> {
  const builtin = join(MATRICES_DIR, `${nameOrPath}.json`);
  if (NAME_RE.test(nameOrPath) && existsSync(builtin)) {
    return validateMatrix(JSON.parse(readFileSync(builtin, 'utf8')), nameOrPath, FRAGMENTS_DIR);
  }
  // A built-in matrix whose ladders are generated is a module.
  const builtinModule = join(MATRICES_DIR, `${nameOrPath}.ts`);
  if (NAME_RE.test(nameOrPath) && existsSync(builtinModule)) {
    const mod = (await import(pathToFileURL(builtinModule).href)) as { default: unknown };
    await unpackNamedRules(mod.default);
    return validateMatrix(mod.default, nameOrPath, FRAGMENTS_DIR);
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) {
    const builtins = readdirSync(MATRICES_DIR).filter((n) => /\.(json|ts)$/.test(n)).map((n) => n.replace(/\.(json|ts)$/, '')).sort();
    throw usageError(`matrix ${nameOrPath}: no such built-in matrix or file (built in: ${builtins.join(', ')})`);
  }
  let raw: unknown;
  if (['.ts', '.mts', '.js', '.mjs'].includes(extname(path))) {
    try {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown; matrix?: unknown };
      raw = mod.default ?? mod.matrix;
    } catch (err) {
      throw usageError(`matrix ${nameOrPath}: cannot load module: ${(err as Error).message.split('\n')[0]}`);
    }
  } else {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw usageError(`matrix ${nameOrPath}: not valid JSON: ${(err as Error).message}`);
    }
  }
  await unpackNamedRules(raw);
  return validateMatrix(raw, path, dirname(path));
}

/** A matrix that names rules files of auditd's package (`auditd:30-stig.rules`) needs the package unpacked first. */
async function unpackNamedRules(raw: unknown): Promise<void> {
  if (JSON.stringify(raw ?? null).includes(`"${PACKAGED_RULES_PREFIX}`)) await prepareAuditd(cachePath('logs', 'auditd-package.log'));
}

/** Checks a parsed matrix section by section; the first problem becomes an error naming the field. */
export function validateMatrix(raw: unknown, source: string, baseDir: string): Matrix {
  const f = fieldsOf(source, baseDir);
  if (!isObj(raw)) throw f.fail('(top)', 'must be an object with "scenarios"');
  f.known(raw, 'matrix', ['name', 'description', 'baseline', 'kernels', 'scenarios', 'questions', 'boots']);
  const kernels = validateKernels(raw.kernels, f);
  if (!Array.isArray(raw.scenarios) || raw.scenarios.length === 0) throw f.fail('scenarios', 'must be a non-empty array');
  const scenarios = raw.scenarios.map((s, i) => validateScenario(s, `scenarios[${i}]`, kernels, f));
  checkUnique(scenarios, f);
  const baseline = raw.baseline === undefined ? scenarios[0]!.name : f.str(raw, 'baseline', 'matrix');
  if (!scenarios.some((s) => s.name === baseline)) throw f.fail('baseline', `"${baseline}" is not one of the scenarios`);
  for (const [i, s] of scenarios.entries()) {
    if (s.baseline === undefined) continue;
    if (s.baseline === s.name) throw f.fail(`scenarios[${i}].baseline`, `"${s.name}" cannot be its own baseline`);
    if (!scenarios.some((o) => o.name === s.baseline)) throw f.fail(`scenarios[${i}].baseline`, `"${s.baseline}" is not one of the scenarios`);
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : source,
    description: typeof raw.description === 'string' ? raw.description : '',
    baseline,
    kernels,
    scenarios,
    questions: validateQuestions(raw.questions, new Set(scenarios.map((s) => s.name)), f),
    ...(raw.boots !== undefined && { boots: f.count(raw, 'boots', 'matrix', 2, 1000)! }),
    source,
  };
}

function validateScenario(s: unknown, field: string, kernels: Record<string, KernelVariant>, f: Fields): Scenario {
  if (!isObj(s)) throw f.fail(field, 'must be an object');
  f.known(s, field, ['name', 'description', 'kernel', 'audit', 'bpf', 'seccomp', 'workload', 'baseline', 'kernelArgs']);
  const name = f.str(s, 'name', field);
  if (!NAME_RE.test(name)) throw f.fail(`${field}.name`, `"${name}" must be lower-case letters, digits, ".", "_" or "-"`);
  const kernel = f.str(s, 'kernel', field);
  if (!kernels[kernel]) throw f.fail(`${field}.kernel`, `unknown kernel "${kernel}" (known: ${Object.keys(kernels).join(', ')})`);
  return {
    name,
    description: typeof s.description === 'string' ? s.description : '',
    kernel,
    audit: validateAudit(s.audit, `${field}.audit`, kernel, f),
    bpf: validateBpf(s.bpf, `${field}.bpf`, f),
    seccomp: validateSeccomp(s.seccomp, `${field}.seccomp`, f),
    workload: validateWorkload(s.workload, `${field}.workload`, f),
    ...(s.baseline !== undefined && { baseline: f.str(s, 'baseline', field) }),
    ...(s.kernelArgs !== undefined && { kernelArgs: validateKernelArgs(s.kernelArgs, `${field}.kernelArgs`, f) }),
  };
}

/** Arguments the suite sets itself, whose change would break how guests boot or report. */
const SUITE_ARGS = ['console', 'rdinit', 'init', 'panic', 'loglevel', 'lapic_timer_period', 'trace_boot_fixups', 'nokaslr', 'norandmaps', 'quiet', 'root'];

/** Words of the kernel command line: no quotes or spaces, and none of the suite's own. */
function validateKernelArgs(raw: unknown, field: string, f: Fields): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw f.fail(field, 'must be a non-empty array of kernel arguments ("init_on_alloc=1")');
  return raw.map((a, i) => {
    if (typeof a !== 'string' || !/^[A-Za-z0-9_.:,\/+-]+(=[A-Za-z0-9_.:,\/+-]*)?$/.test(a)) {
      throw f.fail(`${field}[${i}]`, `${JSON.stringify(a)} is not one kernel argument (name or name=value, without spaces or quotes)`);
    }
    const name = a.split('=')[0]!;
    if (SUITE_ARGS.includes(name)) throw f.fail(`${field}[${i}]`, `"${name}" is set by the suite (bench/qemu.ts) and cannot be changed`);
    return a;
  });
}

/** Scenario names are used once each, and one name of a user's BPF object means one file across the matrix. */
function checkUnique(scenarios: Scenario[], f: Fields): void {
  const names = new Set<string>();
  const objectPaths = new Map<string, string>();
  for (const [i, s] of scenarios.entries()) {
    if (names.has(s.name)) throw f.fail(`scenarios[${i}].name`, `"${s.name}" is used twice`);
    names.add(s.name);
    for (const b of s.bpf) {
      if (isBpfTool(b)) continue;
      const seen = objectPaths.get(b.name);
      if (seen && seen !== b.path) throw f.fail(`scenarios[${i}].bpf`, `two different files are named "${b.name}" (${seen} and ${b.path})`);
      objectPaths.set(b.name, b.path);
    }
  }
}
