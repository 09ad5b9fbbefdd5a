import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { usageError } from '../lib/errors.ts';
import { BUILTIN_VARIANTS, FRAGMENTS_DIR, type KernelVariant } from '../kernels/variants.ts';
import type { WorkloadRecord } from '../lib/results.ts';

/** What the guest runs; every field has a default (see DEFAULT_WORKLOAD). */
export type WorkloadOptions = WorkloadRecord;

/**
 * How close, in percent, two warm-ups in a row must be for the guest to start
 * measuring. Measured over the default run's 8 x 10 samples per scenario: the
 * first sample of a boot is 2-3 % above the boot's median, every later one
 * within 0.1 % on average.
 */
export const WARMUP_TOLERANCE_PCT = 0.5;

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  execs: 100,
  samples: 4,
  warmup: 2,
  warmupMax: 8,
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
}

/** A BPF tool from bpf/: its own loader runs in the guest, logs what the program sends, and its events are checked. */
export interface BpfTool {
  tool: string;
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

export const isBpfTool = (b: BpfSetup): b is BpfTool => 'tool' in b;

export interface Scenario {
  name: string;
  description: string;
  /** A kernel variant name: built in (noaudit, audit) or from the matrix's `kernels`. */
  kernel: string;
  audit: AuditSetup | null;
  bpf: BpfSetup[];
  workload: Partial<WorkloadOptions>;
}

export interface Matrix {
  name: string;
  description: string;
  /** The scenario overheads are computed against. */
  baseline: string;
  kernels: Record<string, KernelVariant>;
  scenarios: Scenario[];
  /** Where the matrix came from: a built-in name or a file path. */
  source: string;
}

export const BPF_TOOLS = ['krsi_ld_preload'] as const;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MATRICES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'matrices');

/** Loads `seed` (or another built-in name) or a JSON / TypeScript matrix file, validated. */
export async function loadMatrix(nameOrPath: string): Promise<Matrix> {
  const builtin = join(MATRICES_DIR, `${nameOrPath}.json`);
  if (NAME_RE.test(nameOrPath) && existsSync(builtin)) {
    return validateMatrix(JSON.parse(readFileSync(builtin, 'utf8')), nameOrPath, FRAGMENTS_DIR);
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) {
    throw usageError(`matrix ${nameOrPath}: no such built-in matrix or file (built in: seed)`);
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
  return validateMatrix(raw, path, dirname(path));
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed matrix field by field; the first problem becomes an error naming the field. */
export function validateMatrix(raw: unknown, source: string, baseDir: string): Matrix {
  const fail = (field: string, problem: string) => usageError(`matrix ${source}: ${field}: ${problem}`);
  const known = (o: Obj, field: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw fail(`${field}.${k}`, `unknown field (known: ${keys.join(', ')})`);
  };
  const str = (o: Obj, key: string, field: string, fallback?: string): string => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'string' || v === '') throw fail(`${field}.${key}`, 'must be a non-empty string');
    return v;
  };
  const count = (o: Obj, key: string, field: string, min: number, max: number): number | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw fail(`${field}.${key}`, `must be a whole number from ${min} to ${max}`);
    }
    return v;
  };

  const checkRule = (r: unknown, field: string) => {
    // Rules, and the control lines of an audit.rules file: backlog (-b), rate limit (-r), failure mode (-f).
    const control = typeof r === 'string' && /^-[brf] \d+$/.test(r);
    if (typeof r !== 'string' || (!control && !/^-[aAwW] /.test(r)) || /['"`$\\\n;|&<>]/.test(r)) {
      throw fail(field, 'must be an auditctl rule like "-a always,exit -S execve", "-w /path -p x" or "-r 100", without quotes or shell characters');
    }
  };

  if (!isObj(raw)) throw fail('(top)', 'must be an object with "scenarios"');
  known(raw, 'matrix', ['name', 'description', 'baseline', 'kernels', 'scenarios']);

  const kernels: Record<string, KernelVariant> = { ...BUILTIN_VARIANTS };
  if (raw.kernels !== undefined) {
    if (!isObj(raw.kernels)) throw fail('kernels', 'must be an object of name -> { fragments: [...] }');
    for (const [name, k] of Object.entries(raw.kernels)) {
      const field = `kernels.${name}`;
      if (!NAME_RE.test(name)) throw fail(field, 'name must be lower-case letters, digits, ".", "_" or "-"');
      if (!isObj(k)) throw fail(field, 'must be an object with "fragments"');
      known(k, field, ['fragments']);
      if (!Array.isArray(k.fragments) || k.fragments.length === 0) throw fail(`${field}.fragments`, 'must be a non-empty array of Kconfig fragment paths');
      const fragments = k.fragments.map((f, i) => {
        if (typeof f !== 'string' || f === '') throw fail(`${field}.fragments[${i}]`, 'must be a path');
        const p = isAbsolute(f) ? f : join(baseDir, f);
        if (!existsSync(p)) throw fail(`${field}.fragments[${i}]`, `no such file ${p}`);
        return p;
      });
      kernels[name] = { name, fragments };
    }
  }

  if (!Array.isArray(raw.scenarios) || raw.scenarios.length === 0) throw fail('scenarios', 'must be a non-empty array');
  const names = new Set<string>();
  const scenarios = raw.scenarios.map((s, i): Scenario => {
    const field = `scenarios[${i}]`;
    if (!isObj(s)) throw fail(field, 'must be an object');
    known(s, field, ['name', 'description', 'kernel', 'audit', 'bpf', 'workload']);
    const name = str(s, 'name', field);
    if (!NAME_RE.test(name)) throw fail(`${field}.name`, `"${name}" must be lower-case letters, digits, ".", "_" or "-"`);
    if (names.has(name)) throw fail(`${field}.name`, `"${name}" is used twice`);
    names.add(name);
    const kernel = str(s, 'kernel', field);
    if (!kernels[kernel]) throw fail(`${field}.kernel`, `unknown kernel "${kernel}" (known: ${Object.keys(kernels).join(', ')})`);

    let audit: AuditSetup | null = null;
    if (s.audit !== undefined && s.audit !== null) {
      const a = s.audit;
      if (!isObj(a)) throw fail(`${field}.audit`, 'must be an object { daemon, enable, rules }');
      known(a, `${field}.audit`, ['daemon', 'enable', 'rules', 'rulesFile']);
      const rules = a.rules ?? [];
      if (!Array.isArray(rules)) throw fail(`${field}.audit.rules`, 'must be an array of auditctl rule arguments');
      rules.forEach((r, k) => checkRule(r, `${field}.audit.rules[${k}]`));
      if (a.rulesFile !== undefined) {
        const given = str(a, 'rulesFile', `${field}.audit`);
        const path = isAbsolute(given) ? given : join(baseDir, given);
        if (!existsSync(path)) throw fail(`${field}.audit.rulesFile`, `no such file ${path}`);
        readFileSync(path, 'utf8').split('\n').forEach((line, k) => {
          const rule = line.trim();
          if (rule === '' || rule.startsWith('#')) return;
          checkRule(rule, `${field}.audit.rulesFile (${given} line ${k + 1})`);
          rules.push(rule);
        });
      }
      audit = { daemon: a.daemon !== false, enable: a.enable !== false, rules: rules as string[] };
      if (audit.rules.length > 0 && !(audit.daemon && audit.enable)) {
        throw fail(`${field}.audit`, 'rules need daemon and enable true (without auditd the records go to the console)');
      }
      if (kernels[kernel] && kernel === 'noaudit') throw fail(`${field}.audit`, 'kernel "noaudit" has no audit support');
    }

    const bpfRaw = s.bpf ?? [];
    if (!Array.isArray(bpfRaw)) throw fail(`${field}.bpf`, 'must be an array of { tool } or { source | object, programs }');
    const bpf = bpfRaw.map((b, j): BpfSetup => {
      const f = `${field}.bpf[${j}]`;
      if (!isObj(b)) throw fail(f, 'must be an object { tool } or { source | object, programs }');
      if (b.tool !== undefined) {
        known(b, f, ['tool']);
        const tool = str(b, 'tool', f);
        if (!(BPF_TOOLS as readonly string[]).includes(tool)) throw fail(`${f}.tool`, `unknown BPF tool "${tool}" (known: ${BPF_TOOLS.join(', ')})`);
        return { tool };
      }
      known(b, f, ['source', 'object', 'programs']);
      if ((b.source === undefined) === (b.object === undefined)) throw fail(f, 'needs exactly one of "tool", "source" (a .bpf.c) or "object" (a .bpf.o)');
      const key = b.source !== undefined ? 'source' : 'object';
      const ext = key === 'source' ? '.bpf.c' : '.bpf.o';
      const given = str(b, key, f);
      const path = isAbsolute(given) ? given : join(baseDir, given);
      if (!given.endsWith(ext)) throw fail(`${f}.${key}`, `must name a ${ext} file`);
      if (!existsSync(path)) throw fail(`${f}.${key}`, `no such file ${path}`);
      const name = basename(path, ext);
      if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw fail(`${f}.${key}`, `file name "${name}" must be letters, digits, "_" or "-"`);
      const programs = b.programs ?? [];
      if (!Array.isArray(programs) || programs.some((p) => typeof p !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
        throw fail(`${f}.programs`, 'must be an array of BPF program (C function) names');
      }
      return { name, path, compile: key === 'source', programs: programs as string[] };
    });
    const loaded = bpf.map((b) => (isBpfTool(b) ? b.tool : b.name));
    const twice = loaded.find((n, k) => loaded.indexOf(n) !== k);
    if (twice) throw fail(`${field}.bpf`, `"${twice}" is loaded twice`);

    const workload: Partial<WorkloadOptions> = {};
    if (s.workload !== undefined) {
      const w = s.workload;
      const wf = `${field}.workload`;
      if (!isObj(w)) throw fail(wf, 'must be an object');
      known(w, wf, ['execs', 'samples', 'warmup', 'warmupMax', 'ldPreload', 'envPages']);
      const put = <K extends 'execs' | 'samples' | 'warmup' | 'warmupMax' | 'envPages'>(k: K, v: number | undefined) => {
        if (v !== undefined) workload[k] = v;
      };
      put('execs', count(w, 'execs', wf, 1, 1_000_000));
      put('samples', count(w, 'samples', wf, 1, 10_000_000));
      put('warmup', count(w, 'warmup', wf, 0, 10_000_000));
      put('warmupMax', count(w, 'warmupMax', wf, 0, 10_000_000));
      put('envPages', count(w, 'envPages', wf, 0, 32));
      if (w.ldPreload !== undefined) {
        if (w.ldPreload !== null && (typeof w.ldPreload !== 'string' || !/^[A-Za-z0-9/._+:-]{1,200}$/.test(w.ldPreload))) {
          throw fail(`${wf}.ldPreload`, 'must be null or a path of letters, digits and /._+:- (at most 200)');
        }
        workload.ldPreload = w.ldPreload as string | null;
      }
    }
    return { name, description: typeof s.description === 'string' ? s.description : '', kernel, audit, bpf, workload };
  });

  const objectPaths = new Map<string, string>();
  for (const [i, s] of scenarios.entries()) {
    for (const b of s.bpf) {
      if (isBpfTool(b)) continue;
      const seen = objectPaths.get(b.name);
      if (seen && seen !== b.path) throw fail(`scenarios[${i}].bpf`, `two different files are named "${b.name}" (${seen} and ${b.path})`);
      objectPaths.set(b.name, b.path);
    }
  }

  const baseline = raw.baseline === undefined ? scenarios[0]!.name : str(raw, 'baseline', 'matrix');
  if (!names.has(baseline)) throw fail('baseline', `"${baseline}" is not one of the scenarios`);
  return {
    name: typeof raw.name === 'string' ? raw.name : source,
    description: typeof raw.description === 'string' ? raw.description : '',
    baseline,
    kernels,
    scenarios,
    source,
  };
}
