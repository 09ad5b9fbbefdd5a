/**
 * Cached artifacts carry a manifest of their files' sha256, written (through
 * a rename) only after every file is complete. An artifact is used only when
 * its manifest is there and every file matches it: a build killed halfway, a
 * truncated copy or a disk error is found before a guest boots on it.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
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

/** Every file under dir (symlinks included, read through), for a manifest of a whole tree. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** checkManifest over every file the manifest lists: for trees whose file list is not known in advance. */
export async function checkManifestTree(dir: string, name = 'manifest.json'): Promise<string | null> {
  const path = join(dir, name);
  if (!existsSync(path)) return `${dir}: no ${name} (an unpack that did not finish?)`;
  let listed: string[];
  try {
    listed = Object.keys(JSON.parse(await readFile(path, 'utf8')) as Record<string, string>);
  } catch {
    return `${path}: unreadable`;
  }
  return checkManifest(dir, listed.map((f) => join(dir, f)), name).catch((err: Error) => `${dir}: ${err.message}`);
}
