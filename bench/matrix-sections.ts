import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isAuditControl, isAuditRule } from './audit-rules.ts';
import { PACKAGED_RULES_PREFIX, packagedRulesDir } from './guest/auditd.ts';
import { isPackageSpec, parseSourceSpec } from '../kernels/pins.ts';
import { BUILTIN_VARIANTS, type KernelVariant } from '../kernels/variants.ts';
import { BenchError } from '../lib/errors.ts';
import { AUDITD_CONF_KEYS } from './guest/auditd-conf.ts';
import { AUDITD_PLUGINS, UNSUPPORTED_PLUGINS } from './guest/auditd-plugins.ts';
import { EXEC_TARGETS, type ExecTarget } from './guest/exec-target.ts';
import { isObj, NAME_RE, type Fields, type Obj } from './matrix-fields.ts';
import { QUESTION_PLOTS, type Question } from '../lib/results.ts';
import type { AuditSetup, BpfSetup, BpfTool, SeccompSetup, WorkloadOptions } from './matrix.ts';

export const BPF_TOOLS = ['krsi_ld_preload', 'krsi_hooks', 'krsi_env_vars', 'krsi_exec_record'] as const;

/** The tools whose loader takes -b BYTES, the size of their event channel. */
const SIZED_TOOLS = ['krsi_ld_preload', 'krsi_hooks', 'krsi_exec_record'];
/** The tools whose loader takes -s, send only execs that set LD_PRELOAD; -l STEPS; -B, a batched consumer. */
const FILTERING_TOOLS = ['krsi_ld_preload', 'krsi_exec_record'];
const BATCHING_TOOLS = ['krsi_exec_record'];
const STEP_TOOLS = ['krsi_ld_preload'];
/** bpf_loop()'s bound (bpf/env_walk.bpf.h MAX_STEPS). */
const MAX_WALK_STEPS = 1 << 23;

/** The programs of the tools that have several, one loaded per scenario (bpf/krsi_hooks.bpf.c). */
export const TOOL_PROGRAMS: Record<string, readonly string[]> = {
  krsi_hooks: ['perfbuf', 'sleepable', 'kprobe', 'fentry', 'tp_btf', 'tracepoint'],
};

export const isBpfTool = (b: BpfSetup): b is BpfTool => 'tool' in b;

/**
 * The matrix's `kernels`: name -> { fragments }, on top of the built-in
 * variants. `extends` names a built-in variant whose fragments come first
 * ("noaudit" and one fragment more), so that a variant follows the seed
 * kernels' base as it changes.
 */
export function validateKernels(raw: unknown, f: Fields): Record<string, KernelVariant> {
  const kernels: Record<string, KernelVariant> = { ...BUILTIN_VARIANTS };
  if (raw === undefined) return kernels;
  if (!isObj(raw)) throw f.fail('kernels', 'must be an object of name -> { fragments: [...] }');
  for (const [name, k] of Object.entries(raw)) {
    const field = `kernels.${name}`;
    if (!NAME_RE.test(name)) throw f.fail(field, 'name must be lower-case letters, digits, ".", "_" or "-"');
    if (!isObj(k)) throw f.fail(field, 'must be an object with "fragments" or "extends"');
    f.known(k, field, ['fragments', 'source', 'extends']);
    const extended = k.extends === undefined ? null : builtinVariant(f.str(k, 'extends', field), `${field}.extends`, f);
    const base = extended?.fragments ?? [];
    const given = k.fragments ?? (base.length ? [] : undefined);
    if (!Array.isArray(given) || given.length + base.length === 0) throw f.fail(`${field}.fragments`, 'must be a non-empty array of Kconfig fragment paths (or name a built-in kernel in "extends")');
    const fragments = given.map((p, i) => {
      if (typeof p !== 'string' || p === '') throw f.fail(`${field}.fragments[${i}]`, 'must be a path');
      return f.existingPath(p, `${field}.fragments[${i}]`);
    });
    kernels[name] = { name, fragments: [...base, ...fragments], ...(extended?.base && { base: extended.base }), ...(k.source !== undefined && { source: kernelSource(f.str(k, 'source', field), `${field}.source`, f) }) };
  }
  return kernels;
}

function builtinVariant(name: string, field: string, f: Fields): KernelVariant {
  const builtin = BUILTIN_VARIANTS[name];
  if (!builtin) throw f.fail(field, `"${name}" is not a built-in kernel (built in: ${Object.keys(BUILTIN_VARIANTS).join(', ')})`);
  return builtin;
}

/**
 * A kernel's own source: a Debian package (pinned, or PACKAGE=VERSION) as it
 * is, or a path to a tarball or tree, which must exist.
 */
function kernelSource(given: string, field: string, f: Fields): string {
  if (!isPackageSpec(given)) return f.existingPath(given, field);
  try {
    parseSourceSpec(given);
  } catch (err) {
    if (err instanceof BenchError) throw f.fail(field, err.message);
    throw err;
  }
  return given;
}

/**
 * One auditctl argument line: a rule, or a control line of audit.rules (-D,
 * -b 8192, --backlog_wait_time 60000, -f 1, ...). Field operators (>=, &) are
 * kept as they are; quotes and backslashes, which auditctl -R does not
 * unquote, and $ ; |, which no rule needs and a shell would act on, are refused.
 */
function checkRule(r: unknown, field: string, f: Fields): string {
  if (typeof r !== 'string' || !(isAuditRule(r) || isAuditControl(r)) || /['"`$\\\n;|]/.test(r)) {
    throw f.fail(field, 'must be an auditctl rule like "-a always,exit -S execve", "-w /path -p x" or a control line like "-b 8192", without quotes, $, ; or |');
  }
  return r.trim().replace(/\s+/g, ' ');
}

/**
 * A rules file's path: relative to the matrix, or `auditd:NAME` for a file of
 * the examples Debian's auditd package ships (30-stig.rules, ...), from the
 * package the guests run.
 */
function rulesFilePath(given: string, field: string, f: Fields): string {
  if (!given.startsWith(PACKAGED_RULES_PREFIX)) return f.existingPath(given, field);
  const name = given.slice(PACKAGED_RULES_PREFIX.length);
  const path = join(packagedRulesDir(), name);
  if (!/^[A-Za-z0-9._-]+$/.test(name) || !existsSync(path)) {
    const known = existsSync(packagedRulesDir()) ? readdirSync(packagedRulesDir()).filter((n) => n.endsWith('.rules')).join(', ') : 'none: the package is not unpacked';
    throw f.fail(field, `"${name}" is not among the rule files of auditd's package (known: ${known})`);
  }
  return path;
}

/** A scenario's `audit`: { daemon, enable, rules, rulesFile, rulesFiles }, null when absent. */
export function validateAudit(raw: unknown, field: string, kernel: string, f: Fields): AuditSetup | null {
  if (raw === undefined || raw === null) return null;
  if (!isObj(raw)) throw f.fail(field, 'must be an object { daemon, enable, rules }');
  f.known(raw, field, ['daemon', 'enable', 'rules', 'rulesFile', 'rulesFiles', 'auditdConf', 'plugins']);
  const given = raw.rules ?? [];
  if (!Array.isArray(given)) throw f.fail(`${field}.rules`, 'must be an array of auditctl rule arguments');
  const rules = given.map((r, k) => checkRule(r, `${field}.rules[${k}]`, f));
  // Where each rule came from, for the guest's error when auditctl refuses one: "" for the inline ones.
  const origins = rules.map(() => '');
  if (raw.rulesFile !== undefined && raw.rulesFiles !== undefined) throw f.fail(field, 'give "rulesFile" or "rulesFiles", not both');
  const files = raw.rulesFiles ?? (raw.rulesFile === undefined ? [] : [f.str(raw, 'rulesFile', field)]);
  const filesField = raw.rulesFiles === undefined ? `${field}.rulesFile` : `${field}.rulesFiles`;
  if (!Array.isArray(files) || (raw.rulesFiles !== undefined && files.length === 0)) throw f.fail(filesField, 'must be a non-empty array of rules files');
  for (const [i, file] of files.entries()) {
    const at = raw.rulesFiles === undefined ? filesField : `${filesField}[${i}]`;
    if (typeof file !== 'string' || file === '') throw f.fail(at, 'must be a path or auditd:NAME');
    const path = rulesFilePath(file, at, f);
    readFileSync(path, 'utf8').split('\n').forEach((line, k) => {
      const rule = line.trim();
      if (rule === '' || rule.startsWith('#')) return;
      rules.push(checkRule(rule, `${at} (${file} line ${k + 1})`, f));
      origins.push(`${basename(path)} line ${k + 1}`);
    });
  }
  const conf = raw.auditdConf === undefined ? undefined : validateAuditdConf(raw.auditdConf, `${field}.auditdConf`, f);
  const plugins = raw.plugins === undefined ? undefined : validatePlugins(raw.plugins, `${field}.plugins`, f);
  const audit: AuditSetup = {
    daemon: raw.daemon !== false, enable: raw.enable !== false, rules,
    ...(origins.some((o) => o !== '') && { origins }),
    ...(conf && { auditdConf: conf }),
    ...(plugins && { plugins }),
  };
  if (audit.rules.length > 0 && !(audit.daemon && audit.enable)) {
    throw f.fail(field, 'rules need daemon and enable true (without auditd the records go to the console)');
  }
  if (conf && !audit.daemon) throw f.fail(`${field}.auditdConf`, 'is for auditd: it needs daemon true');
  if (plugins && !audit.daemon) throw f.fail(`${field}.plugins`, 'are started by auditd: they need daemon true');
  if (kernel === 'noaudit') throw f.fail(field, 'kernel "noaudit" has no audit support');
  return audit;
}

/** Names of packaged auditd plugins to turn on: each known and runnable, none twice. */
function validatePlugins(raw: unknown, field: string, f: Fields): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw f.fail(field, `must be a non-empty array of plugin names (known: ${Object.keys(AUDITD_PLUGINS).join(', ')})`);
  return raw.map((name, i) => {
    const at = `${field}[${i}]`;
    if (typeof name !== 'string') throw f.fail(at, 'must be a plugin name');
    const why = UNSUPPORTED_PLUGINS[name];
    if (why !== undefined) throw f.fail(at, `auditd's plugin "${name}" is not supported: ${why}`);
    if (!Object.hasOwn(AUDITD_PLUGINS, name)) throw f.fail(at, `"${name}" is not a plugin of auditd's package (known: ${Object.keys(AUDITD_PLUGINS).join(', ')})`);
    if (raw.indexOf(name) !== i) throw f.fail(at, `"${name}" is named twice`);
    return name;
  });
}

/** Settings of auditd.conf that replace the packaged file's: known keys, one-line values. */
function validateAuditdConf(raw: unknown, field: string, f: Fields): Record<string, string> {
  if (!isObj(raw) || Object.keys(raw).length === 0) throw f.fail(field, 'must be an object of auditd.conf settings ({ "log_format": "RAW" })');
  const conf: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(AUDITD_CONF_KEYS as readonly string[]).includes(key)) throw f.fail(`${field}.${key}`, `not a setting of auditd.conf(5) (known: ${AUDITD_CONF_KEYS.join(', ')})`);
    const v = typeof value === 'number' ? String(value) : value;
    if (typeof v !== 'string' || !/^[A-Za-z0-9_./@:-]+$/.test(v)) throw f.fail(`${field}.${key}`, 'must be one word or number (letters, digits, _ . / @ : -)');
    conf[key] = v;
  }
  return conf;
}

/** One entry of a scenario's `bpf`: a built-in { tool }, or a user's { source | object, programs }. */
function validateBpfEntry(b: unknown, field: string, f: Fields): BpfSetup {
  if (!isObj(b)) throw f.fail(field, 'must be an object { tool } or { source | object, programs }');
  if (b.tool !== undefined) {
    f.known(b, field, ['tool', 'program', 'bufferBytes', 'onlySet', 'maxSteps', 'batch']);
    const tool = f.str(b, 'tool', field);
    if (!(BPF_TOOLS as readonly string[]).includes(tool)) throw f.fail(`${field}.tool`, `unknown BPF tool "${tool}" (known: ${BPF_TOOLS.join(', ')})`);
    const bytes = f.count(b, 'bufferBytes', field, 4096, 1 << 30);
    if (bytes !== undefined && (bytes & (bytes - 1)) !== 0) throw f.fail(`${field}.bufferBytes`, 'must be a power of two');
    if (bytes !== undefined && !SIZED_TOOLS.includes(tool)) throw f.fail(`${field}.bufferBytes`, `is for ${SIZED_TOOLS.join(', ')}`);
    if (b.onlySet !== undefined && typeof b.onlySet !== 'boolean') throw f.fail(`${field}.onlySet`, 'must be true or false');
    if (b.onlySet !== undefined && !FILTERING_TOOLS.includes(tool)) throw f.fail(`${field}.onlySet`, `is for ${FILTERING_TOOLS.join(', ')}`);
    const steps = f.count(b, 'maxSteps', field, 1, MAX_WALK_STEPS);
    if (steps !== undefined && !STEP_TOOLS.includes(tool)) throw f.fail(`${field}.maxSteps`, `is for ${STEP_TOOLS.join(', ')}`);
    if (b.batch !== undefined && typeof b.batch !== 'boolean') throw f.fail(`${field}.batch`, 'must be true or false');
    if (b.batch !== undefined && !BATCHING_TOOLS.includes(tool)) throw f.fail(`${field}.batch`, `is for ${BATCHING_TOOLS.join(', ')}`);
    const sized = {
      ...(bytes !== undefined && { bufferBytes: bytes }), ...(b.onlySet === true && { onlySet: true }), ...(steps !== undefined && { maxSteps: steps }), ...(b.batch === true && { batch: true }),
    };
    const programs = TOOL_PROGRAMS[tool];
    if (!programs) {
      if (b.program !== undefined) throw f.fail(`${field}.program`, `tool ${tool} has one program; "program" is for ${Object.keys(TOOL_PROGRAMS).join(', ')}`);
      return { tool, ...sized };
    }
    const program = f.str(b, 'program', field);
    if (!programs.includes(program)) throw f.fail(`${field}.program`, `tool ${tool} has no program "${program}" (it has: ${programs.join(', ')})`);
    return { tool, program, ...sized };
  }
  f.known(b, field, ['source', 'object', 'programs']);
  if ((b.source === undefined) === (b.object === undefined)) throw f.fail(field, 'needs exactly one of "tool", "source" (a .bpf.c) or "object" (a .bpf.o)');
  const key = b.source !== undefined ? 'source' : 'object';
  const ext = key === 'source' ? '.bpf.c' : '.bpf.o';
  const given = f.str(b, key, field);
  if (!given.endsWith(ext)) throw f.fail(`${field}.${key}`, `must name a ${ext} file`);
  const path = f.existingPath(given, `${field}.${key}`);
  const name = basename(path, ext);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw f.fail(`${field}.${key}`, `file name "${name}" must be letters, digits, "_" or "-"`);
  const programs = b.programs ?? [];
  if (!Array.isArray(programs) || programs.some((p) => typeof p !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
    throw f.fail(`${field}.programs`, 'must be an array of BPF program (C function) names');
  }
  return { name, path, compile: key === 'source', programs: programs as string[] };
}

/** A scenario's `bpf`: what it loads, each name once. */
export function validateBpf(raw: unknown, field: string, f: Fields): BpfSetup[] {
  const given = raw ?? [];
  if (!Array.isArray(given)) throw f.fail(field, 'must be an array of { tool } or { source | object, programs }');
  const bpf = given.map((b, j) => validateBpfEntry(b, `${field}[${j}]`, f));
  const loaded = bpf.map((b) => (isBpfTool(b) ? b.tool : b.name));
  const twice = loaded.find((n, k) => loaded.indexOf(n) !== k);
  if (twice) throw f.fail(field, `"${twice}" is loaded twice`);
  return bpf;
}

/** A scenario's `seccomp`: "filter" or "notify", null when absent. */
export function validateSeccomp(raw: unknown, field: string, f: Fields): SeccompSetup | null {
  if (raw === undefined || raw === null) return null;
  if (raw !== 'filter' && raw !== 'notify') throw f.fail(field, `must be "filter" (allow everything) or "notify" (execve to a supervisor), not ${JSON.stringify(raw)}`);
  return raw;
}

/** The matrix's `questions`: each a title, scenarios of this matrix, and a plot kind. */
export function validateQuestions(raw: unknown, names: Set<string>, f: Fields): Question[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw f.fail('questions', 'must be an array of { title, scenarios, plot }');
  return raw.map((q, i) => {
    const field = `questions[${i}]`;
    if (!isObj(q)) throw f.fail(field, 'must be an object { title, scenarios, plot }');
    f.known(q, field, ['title', 'scenarios', 'plot', 'notes']);
    const title = f.str(q, 'title', field);
    const plot = f.str(q, 'plot', field);
    if (!(QUESTION_PLOTS as readonly string[]).includes(plot)) throw f.fail(`${field}.plot`, `must be one of ${QUESTION_PLOTS.join(', ')}`);
    if (!Array.isArray(q.scenarios) || q.scenarios.length === 0) throw f.fail(`${field}.scenarios`, 'must be a non-empty array of scenario names');
    const scenarios = q.scenarios.map((n, k) => {
      if (typeof n !== 'string' || !names.has(n)) throw f.fail(`${field}.scenarios[${k}]`, `${JSON.stringify(n)} is not one of the scenarios`);
      return n;
    });
    if (q.notes !== undefined && (!isObj(q.notes) || Object.entries(q.notes).some(([k, v]) => !scenarios.includes(k) || typeof v !== 'string' || v === ''))) {
      throw f.fail(`${field}.notes`, "must map some of the question's scenarios to a non-empty text");
    }
    return { title, scenarios, plot: plot as Question['plot'], ...(q.notes !== undefined && { notes: q.notes as Record<string, string> }) };
  });
}

type CountKey = 'execs' | 'samples' | 'warmup' | 'warmupMax' | 'envPages' | 'procs' | 'cpus' | 'tinyVars';
const COUNT_RANGES: Record<CountKey, [number, number]> = {
  execs: [1, 1_000_000],
  samples: [1, 10_000_000],
  warmup: [0, 10_000_000],
  warmupMax: [0, 10_000_000],
  envPages: [0, 32],
  procs: [1, 64],
  cpus: [1, 4],
  tinyVars: [0, 100_000],
};

/** A scenario's `workload`: the options it sets; the rest come from the command line or the defaults. */
export function validateWorkload(raw: unknown, field: string, f: Fields): Partial<WorkloadOptions> {
  const workload: Partial<WorkloadOptions> = {};
  if (raw === undefined) return workload;
  if (!isObj(raw)) throw f.fail(field, 'must be an object');
  f.known(raw, field, ['execs', 'samples', 'warmup', 'warmupMax', 'ldPreload', 'envPages', 'procs', 'cpus', 'tinyVars', 'ldPreloadDecoy', 'execCall', 'edgeStrings', 'target']);
  for (const [key, [min, max]] of Object.entries(COUNT_RANGES) as Array<[CountKey, [number, number]]>) {
    const v = f.count(raw, key, field, min, max);
    if (v !== undefined) workload[key] = v;
  }
  if (raw.ldPreload !== undefined) workload.ldPreload = ldPreload(raw, field, f);
  if (raw.ldPreloadDecoy !== undefined) {
    const decoy = ldPreload(raw, field, f, 'ldPreloadDecoy');
    if (decoy === null) throw f.fail(`${field}.ldPreloadDecoy`, 'must be a path (leave it out for none)');
    workload.ldPreloadDecoy = decoy;
  }
  if (raw.edgeStrings !== undefined) {
    if (typeof raw.edgeStrings !== 'boolean') throw f.fail(`${field}.edgeStrings`, 'must be true or false');
    if (raw.edgeStrings) workload.edgeStrings = true;
  }
  if (raw.target !== undefined) {
    if (!(EXEC_TARGETS as readonly unknown[]).includes(raw.target)) throw f.fail(`${field}.target`, `must be ${EXEC_TARGETS.map((t) => JSON.stringify(t)).join(' or ')}, not ${JSON.stringify(raw.target)}`);
    workload.target = raw.target as ExecTarget;
  }
  if (raw.execCall !== undefined) {
    if (raw.execCall !== 'execve' && raw.execCall !== 'execveat') throw f.fail(`${field}.execCall`, `must be "execve" or "execveat", not ${JSON.stringify(raw.execCall)}`);
    workload.execCall = raw.execCall;
  }
  return workload;
}

function ldPreload(w: Obj, field: string, f: Fields, key = 'ldPreload'): string | null {
  const v = w[key];
  if (v !== null && (typeof v !== 'string' || !/^[A-Za-z0-9/._+:-]{1,200}$/.test(v))) {
    throw f.fail(`${field}.${key}`, 'must be null or a path of letters, digits and /._+:- (at most 200)');
  }
  return v as string | null;
}
