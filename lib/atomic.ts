/**
 * Files that appear whole or not at all: written under a name of their own
 * beside the final one, then renamed, which POSIX makes atomic within a
 * file system. Two processes that write the same artifact at once each use
 * their own temporary name, and the last rename wins with identical bytes.
 */

import { existsSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { usageError } from './errors.ts';

let counter = 0;

/** A temporary name beside `path` that no other process or call uses. */
export function tempNameFor(path: string): string {
  return `${path}.tmp-${process.pid}-${++counter}`;
}

/** Writes `data` to `path` through a temporary file and a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const tmp = tempNameFor(path);
  try {
    await writeFile(tmp, data, mode === undefined ? undefined : { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Fails, before anything is written, when `out` exists and is not a directory. */
export function checkOutDir(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw usageError(`--out ${out}: exists and is not a directory`);
}
