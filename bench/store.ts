import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { EventCheck } from './checks.ts';
import type { GuestSample } from './guest/protocol.ts';
import type { AuditSetup, BpfSetup, WorkloadOptions } from './matrix.ts';

/**
 * The result store: results/<run-id>/ holds the output contract (run.json,
 * samples.csv, events.csv; summary.json and report.html from the statistics
 * stage) and logs/. A run is written into <run-id>.partial/ and renamed only
 * when complete, so a directory named <run-id> is always whole; a failed run
 * is left as <run-id>.failed/ with its logs and error.txt, and no data files.
 */
export const SAMPLES_HEADER = ['scenario', 'kernel', 'boot', 'sample', 'warmup', 'execs', 'ns_per_exec'] as const;
export const EVENTS_HEADER = ['scenario', 'kernel', 'boot', 'source', 'execs', 'expected', 'logged', 'matched', 'lost', 'ok'] as const;

export interface SampleRow {
  scenario: string;
  kernel: string;
  boot: number;
  sample: number;
  warmup: boolean;
  execs: number;
  nsPerExec: number;
}

export function sampleRows(scenario: string, kernel: string, boot: number, samples: GuestSample[]): SampleRow[] {
  return samples.map((s) => ({ scenario, kernel, boot, sample: s.sample, warmup: s.warmup, execs: s.execs, nsPerExec: s.nsPerExec }));
}

export function samplesCsv(rows: SampleRow[]): string {
  return stringify(
    rows.map((r) => [r.scenario, r.kernel, r.boot, r.sample, r.warmup ? 1 : 0, r.execs, r.nsPerExec]),
    { header: true, columns: [...SAMPLES_HEADER] },
  );
}

export function eventsCsv(checks: Omit<EventCheck, 'problem'>[]): string {
  return stringify(
    checks.map((c) => [c.scenario, c.kernel, c.boot, c.source, c.execs, c.expected, c.logged, c.matched, c.lost, c.ok ? 1 : 0]),
    { header: true, columns: [...EVENTS_HEADER] },
  );
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `${stamp}-${process.pid.toString(36)}`;
}

export interface RunDir {
  id: string;
  /** Where files are written while the run goes on. */
  path: string;
  logs: string;
}

export async function openRunDir(out: string, id: string): Promise<RunDir> {
  const path = join(out, `${id}.partial`);
  await mkdir(join(path, 'logs'), { recursive: true });
  return { id, path, logs: join(path, 'logs') };
}

/** Renames the run to its final name and points `latest` at it; returns the final path. */
export async function completeRunDir(out: string, dir: RunDir): Promise<string> {
  const final = join(out, dir.id);
  await rename(dir.path, final);
  const latest = join(out, 'latest');
  await rm(latest, { force: true });
  await symlink(dir.id, latest);
  return final;
}

/** Keeps the logs of a failed run under <run-id>.failed/ and returns that path. */
export async function failRunDir(out: string, dir: RunDir, message: string): Promise<string> {
  const failed = join(out, `${dir.id}.failed`);
  if (!existsSync(dir.path)) return failed;
  // Only the logs stay: no data file, report or plot of a failed run may look like a result.
  for (const f of await readdir(dir.path)) if (f !== 'logs') await rm(join(dir.path, f), { recursive: true, force: true });
  // The rename is what matters; error.txt may not fit on a full disk (the data files just freed some room).
  await writeFile(join(dir.path, 'error.txt'), `${message}\n`).catch(() => undefined);
  await rename(dir.path, failed);
  return failed;
}

/** A log path inside the partial run directory, as it will be named after failRunDir. */
export function failedPath(out: string, dir: RunDir, path: string): string {
  return path.startsWith(dir.path) ? join(out, `${dir.id}.failed`, path.slice(dir.path.length)) : path;
}

/** run.json: what a run measured and on what, enough to judge whether two runs compare. */
export interface RunMeta {
  suite: { name: 'krsi-bench'; revision: string; workloadDigest: string; bpfDigest: string | null };
  runId: string;
  date: string;
  mode: 'icount' | 'kvm';
  /** What one nanosecond of the results is. */
  unit: string;
  matrix: { name: string; source: string; baseline: string };
  /** layout: absent in runs made before layouts were drawn, which had the fixed one. */
  options: { samples: number | null; execs: number | null; warmup: number | null; boots: number; jobs: number; seed: number; scenarios: string[] | null; layout?: 'random' | 'fixed' };
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
    workload: WorkloadOptions;
    audit: AuditSetup | null;
    bpf: BpfSetup[];
  }[];
  guests: { id: string; scenario: string; boot: number; seed: number; wallSeconds: number; kernelRelease: string; lsm: string }[];
}

export const UNITS = {
  icount: 'instruction-time ns (1 ns = 1 guest instruction, QEMU -icount shift=0)',
  kvm: 'ns of wall-clock time in a KVM guest',
} as const;
