import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachePath, sha256 } from '../lib/cache.ts';
import { withLock } from '../lib/lock.ts';
import { shell } from '../lib/shell.ts';

const PRELOAD_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'hugepage-preload.c');
const THP_MODE = '/sys/kernel/mm/transparent_hugepage/enabled';

/** The host's transparent huge page mode ("always", "madvise", "never"), or null where it has none. */
export function thpMode(path = THP_MODE): string | null {
  if (!existsSync(path)) return null;
  return /\[(\w+)\]/.exec(readFileSync(path, 'utf8'))?.[1] ?? null;
}

/** Adds ours to an environment's LD_PRELOAD and GLIBC_TUNABLES, keeping what the user set there. */
export function withHugePages(env: NodeJS.ProcessEnv, preload: string): Record<string, string> {
  const tunable = 'glibc.malloc.hugetlb=1';
  return {
    LD_PRELOAD: env.LD_PRELOAD ? `${preload} ${env.LD_PRELOAD}` : preload,
    GLIBC_TUNABLES: env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${tunable}` : tunable,
  };
}

/**
 * The environment that makes a kernel build's compilers use huge pages for
 * their heaps (see hugepage-preload.c for why): about a quarter off a kernel
 * build where page faults are expensive, nothing changed in its output.
 * Empty when the host has no huge pages to give or KRSI_BENCH_HUGEPAGES=0.
 */
export async function hugePageBuildEnv(log: string): Promise<Record<string, string>> {
  const mode = thpMode();
  if (process.env.KRSI_BENCH_HUGEPAGES === '0' || mode === null || mode === 'never') return {};
  const source = await readFile(PRELOAD_SOURCE, 'utf8');
  const lib = cachePath('tools', `hugepage-preload-${sha256(source).slice(0, 16)}.so`);
  await withLock(`${lib}.lock`, 'hugepage preload', async () => {
    if (existsSync(lib)) return;
    await mkdir(dirname(lib), { recursive: true });
    await shell({ log })('building kernels/hugepage-preload.c')`gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o ${lib}.tmp ${PRELOAD_SOURCE}`;
    await rename(`${lib}.tmp`, lib);
  });
  return withHugePages(process.env, lib);
}
