import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Whether a build tree holds every object of one config, compiled: written
 * when a compile of the tree finishes, removed before one starts. A tree
 * can hold a config's .config and an older vmlinux.a while its objects are
 * another config's: a compile stopped halfway, or a tree seeded from a
 * sibling variant (kernels/seed.ts) and not compiled yet. make finds those
 * objects stale; a drawn link that tells make to take the archives as built
 * (kernels/relink.ts) would not, so it does so only where this says the
 * tree was compiled for the kernel's config.
 */
const MARK = 'krsi-compiled';

export async function markCompiled(buildDir: string, configHash: string): Promise<void> {
  await writeFile(join(buildDir, MARK), `${configHash}\n`);
}

export async function clearCompiled(buildDir: string): Promise<void> {
  await rm(join(buildDir, MARK), { force: true });
}

export async function compiledFor(buildDir: string, configHash: string): Promise<boolean> {
  const mark = join(buildDir, MARK);
  return existsSync(mark) && (await readFile(mark, 'utf8')).trim() === configHash;
}
