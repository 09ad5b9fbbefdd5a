/**
 * Writes a stage's output files (a report, gate.json and gate.md, a site's
 * index) into a directory: every file first to a temporary name beside its
 * final one, then all renamed into place, so a failure while writing leaves
 * the old files (or none) rather than half-written ones.
 */

import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkOutDir } from '../lib/atomic.ts';

export { checkOutDir };

/** A file to write: its path under the output directory, and its bytes or a file to copy. */
export type OutputFile = { path: string; content: string | Uint8Array } | { path: string; copyFrom: string };


/** Writes `files` under `out` (created if need be); returns their paths. */
export async function writeFiles(out: string, files: OutputFile[]): Promise<string[]> {
  checkOutDir(out);
  const tag = `.tmp-${process.pid}`;
  const written: string[] = [];
  try {
    for (const f of files) {
      const path = join(out, f.path);
      await mkdir(dirname(path), { recursive: true });
      written.push(path);
      if ('copyFrom' in f) await copyFile(f.copyFrom, path + tag);
      else await writeFile(path + tag, f.content);
    }
  } catch (err) {
    await Promise.all(written.map((p) => rm(p + tag, { force: true })));
    throw err;
  }
  for (const path of written) await rename(path + tag, path);
  return written;
}
