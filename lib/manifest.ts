/**
 * Cached artifacts carry a manifest of their files' sha256, written (through
 * a rename) only after every file is complete. An artifact is used only when
 * its manifest is there and every file matches it: a build killed halfway, a
 * truncated copy or a disk error is found before a guest boots on it.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { writeFileAtomic } from './atomic.ts';

export async function fileDigest(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Records the digests of `files` (paths under `dir`) in dir/<name>. */
export async function writeManifest(dir: string, files: string[], name = 'manifest.json'): Promise<void> {
  const digests: Record<string, string> = {};
  for (const f of files) digests[relative(dir, f)] = await fileDigest(f);
  await writeFileAtomic(join(dir, name), `${JSON.stringify(digests, null, 2)}\n`);
}

/**
 * Null when every file is in the manifest and matches it; otherwise what is
 * wrong, naming the file.
 */
export async function checkManifest(dir: string, files: string[], name = 'manifest.json'): Promise<string | null> {
  const path = join(dir, name);
  if (!existsSync(path)) return `${dir}: no ${name} (a build that did not finish?)`;
  let digests: Record<string, string>;
  try {
    digests = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  } catch {
    return `${path}: unreadable`;
  }
  for (const f of files) {
    const key = relative(dir, f);
    if (!existsSync(f)) return `${f}: missing`;
    if (digests[key] === undefined) return `${f}: not in ${basename(path)} of ${dirname(path)}`;
    if ((await fileDigest(f)) !== digests[key]) return `${f}: damaged (its sha256 differs from ${name})`;
  }
  return null;
}
