import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestSample } from './guest/protocol.ts';
import { cachePath } from '../lib/cache.ts';
import { processAlive } from '../lib/proc.ts';
import type { SampleRow } from '../lib/results.ts';

/**
 * The runner's side of the result store: a run directory's life from
 * <run-id>.partial/ to <run-id>/ (or <run-id>.failed/). What goes in it, and
 * how it is read, is lib/results.ts.
 */
export function sampleRows(scenario: string, kernel: string, boot: number, samples: GuestSample[]): SampleRow[] {
  return samples.map((s) => ({ scenario, kernel, boot, sample: s.sample, warmup: s.warmup, execs: s.execs, nsPerExec: s.nsPerExec }));
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `${stamp}-${process.pid.toString(36)}`;
}

/** Whether the process that made run `id` (its last part, newRunId) has ended: its leftovers are nobody's. */
export function runEnded(id: string): boolean {
  const pid = parseInt(/-([0-9a-z]+)$/.exec(id)?.[1] ?? '', 36);
  return Number.isInteger(pid) && pid !== process.pid && !processAlive(pid);
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

/**
 * A run whose process died without finishing (SIGKILL, out of memory, power)
 * left <id>.partial/: marked failed, so that nothing reads it as a result.
 */
export async function sweepAbandoned(out: string): Promise<void> {
  for (const name of await readdir(out)) {
    const id = /^(.*)\.partial$/.exec(name)?.[1];
    if (!id || !runEnded(id)) continue;
    const pid = parseInt(id.slice(id.lastIndexOf('-') + 1), 36);
    await failRunDir(out, { id, path: join(out, name), logs: join(out, name, 'logs') }, `abandoned: its process (pid ${pid}) ended without finishing it (killed?)`);
  }
}

/** The cache's tmp/<run-id>/ of runs whose process is gone (each run removes its own). */
export async function sweepTmp(): Promise<void> {
  const tmp = cachePath('tmp');
  if (!existsSync(tmp)) return;
  for (const name of await readdir(tmp)) if (runEnded(name)) await rm(join(tmp, name), { recursive: true, force: true });
}
