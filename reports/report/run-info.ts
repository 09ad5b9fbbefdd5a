/**
 * What the report shows of a run's run.json. loadRun only parses the JSON, and a
 * run from another machine or another version of the suite may lack any field, so
 * every field is read defensively here and the page shows "unknown" for what is missing.
 */

import { basename } from 'node:path';
import { usageError } from '../../lib/errors.ts';
import type { LoadedRun } from '../load.ts';
import { QUESTION_PLOTS, type Question } from '../../lib/results.ts';

/** A kernel of the run, as run.json describes it. */
export interface KernelInfo {
  variant: string;
  version: string | null;
  configHash: string | null;
  /** The audit and LSM options; null = not set. */
  options: Record<string, string | null>;
}

/** A scenario of the run, as run.json describes it. */
export interface ScenarioInfo {
  name: string;
  description: string | null;
  kernel: string | null;
  /** K: execs per sample. */
  execs: number | null;
  /** N: measured samples asked for. */
  samples: number | null;
  warmup: number | null;
  ldPreload: string | null;
  envPages: number | null;
  /** Audit rules loaded (control lines such as -b not counted); null without audit. */
  auditRules: number | null;
}

/** One run's identity and setup; null where run.json does not say (or there is no run.json). */
export interface RunInfo {
  /** The run's id, or its directory's name when there is no run.json. */
  label: string;
  dir: string;
  hasMeta: boolean;
  mode: string | null;
  date: string | null;
  suiteRevision: string | null;
  matrix: string | null;
  /** What the matrix is about, as it says. */
  matrixDescription: string | null;
  baseline: string | null;
  host: string | null;
  qemu: string | null;
  /** "shard 2/3" for one slice of a sharded run, "joined from a, b" for a joined one. */
  shard: string | null;
  kernels: KernelInfo[];
  scenarios: ScenarioInfo[];
  /** The matrix's questions, those whose fields are whole. */
  questions: Question[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Reads what the report needs from a loaded run; run.json must be a JSON object if it is there. */
export function runInfo(run: LoadedRun): RunInfo {
  const raw: unknown = run.meta;
  const m = obj(raw);
  if (raw !== null && !m) throw usageError(`${run.dir}/run.json: not a run description (expected a JSON object)`);
  const host = obj(m?.host);
  const hostText = host
    ? [str(host.cpu), host.cores !== undefined ? `${str(host.cores)} cores` : null, str(host.os), host.kernel !== undefined ? `kernel ${str(host.kernel)}` : null]
        .filter((x): x is string => x !== null)
        .join(', ')
    : null;
  const kernels = (Array.isArray(m?.kernels) ? (m.kernels as unknown[]) : []).map(obj).filter((k): k is Obj => k !== null).map((k): KernelInfo => ({
    variant: str(k.variant) ?? '?',
    version: str(k.version),
    configHash: str(k.configHash),
    options: Object.fromEntries(Object.entries(obj(k.options) ?? {}).map(([o, v]) => [o, str(v)])),
  }));
  const scenarios = (Array.isArray(m?.scenarios) ? (m.scenarios as unknown[]) : []).map(obj).filter((s): s is Obj => s !== null && str(s.name) !== null).map((s): ScenarioInfo => {
    const w = obj(s.workload);
    return {
      name: str(s.name)!,
      description: str(s.description),
      kernel: str(s.kernel),
      execs: num(w?.execs),
      samples: num(w?.samples),
      warmup: num(w?.warmup),
      ldPreload: str(w?.ldPreload),
      envPages: num(w?.envPages),
      auditRules: Array.isArray(obj(s.audit)?.rules) ? (obj(s.audit)!.rules as unknown[]).filter((r) => typeof r === 'string' && !/^-[brf] /.test(r)).length : null,
    };
  });
  const shard = obj(m?.shard);
  const joined = Array.isArray(m?.mergedFrom) ? (m.mergedFrom as unknown[]).map(str).filter((x): x is string => x !== null) : [];
  const shardText = shard ? `shard ${str(shard.index) ?? '?'}/${str(shard.count) ?? '?'}` : joined.length ? `joined from ${joined.join(', ')}` : null;
  return {
    label: str(m?.runId) ?? basename(run.dir),
    dir: run.dir,
    hasMeta: m !== null,
    mode: str(m?.mode),
    date: str(m?.date),
    suiteRevision: str(obj(m?.suite)?.revision),
    matrix: str(obj(m?.matrix)?.name),
    matrixDescription: str(obj(m?.matrix)?.description) || null,
    baseline: str(obj(m?.matrix)?.baseline),
    host: hostText || null,
    qemu: str(obj(m?.qemu)?.version),
    shard: shardText,
    kernels,
    scenarios,
    questions: (Array.isArray(obj(m?.matrix)?.questions) ? (obj(m?.matrix)!.questions as unknown[]) : []).map(obj).flatMap((q): Question[] => {
      const scenarios = Array.isArray(q?.scenarios) ? (q.scenarios as unknown[]).map(str).filter((x): x is string => x !== null) : [];
      const plot = str(q?.plot);
      const notes = Object.fromEntries(Object.entries(obj(q?.notes) ?? {}).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
      return q && str(q.title) && scenarios.length && QUESTION_PLOTS.includes(plot as never) ? [{ title: str(q.title)!, scenarios, plot: plot as Question['plot'], notes }] : [];
    }),
  };
}
