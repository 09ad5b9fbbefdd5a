import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cachePath, sha256, sha256File } from '../bench/cache.ts';
import { BenchError, usageError } from '../bench/errors.ts';
import { capture, runLogged } from '../bench/proc.ts';

/** Debian's `linux-source-6.12` package puts its tree here. */
export const DEFAULT_KERNEL_SOURCE = '/usr/src/linux-source-6.12.tar.xz';

export interface KernelSource {
  /** What the user named: a tarball or a source directory. */
  path: string;
  kind: 'tarball' | 'dir';
  /** Identifies the source's content for cache keys. */
  id: string;
}

export async function resolveKernelSource(path: string = DEFAULT_KERNEL_SOURCE): Promise<KernelSource> {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    const hint = path === DEFAULT_KERNEL_SOURCE ? ' (apt-get install linux-source-6.12, or pass --kernel-src DIR|TARBALL)' : '';
    throw usageError(`kernel source not found: ${path}${hint}`);
  }
  if (statSync(abs).isDirectory()) {
    if (!existsSync(join(abs, 'Makefile')) || !existsSync(join(abs, 'Kconfig'))) {
      throw usageError(`--kernel-src ${path} is not a kernel source tree (no Makefile and Kconfig at its top)`);
    }
    // Out-of-tree builds (O=) refuse a tree that was configured in place.
    if (existsSync(join(abs, '.config'))) {
      throw usageError(`kernel source ${path} has been built in place: run 'make mrproper' there first`);
    }
    return { path: abs, kind: 'dir', id: sha256(abs, await treeIdentity(abs)).slice(0, 16) };
  }
  if (!/\.tar(\.(xz|gz|bz2|zst))?$|\.tgz$/.test(abs)) {
    throw usageError(`--kernel-src ${path} is neither a directory nor a .tar[.xz|.gz|.bz2|.zst] tarball`);
  }
  return { path: abs, kind: 'tarball', id: (await sha256File(abs)).slice(0, 16) };
}

/** A git tree is identified by its commit and uncommitted diff; any other tree by its version and Makefile time. */
async function treeIdentity(dir: string): Promise<string> {
  if (existsSync(join(dir, '.git'))) {
    const head = await capture('git', ['-C', dir, 'rev-parse', 'HEAD'], 'git rev-parse');
    const diff = await capture('git', ['-C', dir, 'diff', 'HEAD'], 'git diff');
    return head + sha256(diff);
  }
  const version = await capture('make', ['-s', '-C', dir, 'kernelversion'], `make kernelversion in ${dir}`);
  return version + statSync(join(dir, 'Makefile')).mtimeMs;
}

/** The source tree to build from: the directory itself, or the tarball unpacked once into the cache. */
export async function sourceTree(src: KernelSource, log: string, signal?: AbortSignal): Promise<string> {
  if (src.kind === 'dir') return src.path;
  const dest = cachePath('src', src.id);
  const done = join(dest, '.unpacked');
  if (!existsSync(done)) {
    const tmp = `${dest}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    process.stderr.write(`kernel source: unpacking ${src.path}\n`);
    await runLogged('tar', ['-xf', src.path, '-C', tmp], { what: `unpacking ${src.path}`, log, signal });
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
    await runLogged('touch', [done], { what: 'marking source unpacked', log });
  }
  const top = (await readdir(dest, { withFileTypes: true })).filter((d) => d.isDirectory());
  const tree = top.length === 1 && top[0] ? join(dest, top[0].name) : dest;
  if (!existsSync(join(tree, 'Makefile'))) {
    throw new BenchError(`tarball ${src.path} does not hold a kernel source tree`, log);
  }
  return tree;
}
