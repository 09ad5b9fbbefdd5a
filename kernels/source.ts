import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachePath, sha256, sha256File } from '../lib/cache.ts';
import { BenchError, usageError } from '../lib/errors.ts';
import { capture } from '../lib/run.ts';
import { shell, type ShellStep } from '../lib/shell.ts';

/** Debian's `linux-source-6.12` package puts its tree here. */
export const DEFAULT_KERNEL_SOURCE = '/usr/src/linux-source-6.12.tar.xz';

export interface KernelSource {
  /** What the user named: a tarball or a source directory. */
  path: string;
  kind: 'tarball' | 'dir';
  /** Identifies the source's content, with the suite's patches applied, for cache keys. */
  id: string;
  /** Names of the suite's patches applied to the tree (kernels/patches/, without .patch). */
  patches: string[];
}

export const PATCHES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'patches');

/**
 * The suite's own patches, applied to every kernel it builds: each is a choice
 * of method, explained in its own header comment and in docs. Their text is
 * part of the source id, so that a changed patch builds new kernels.
 */
async function suitePatches(): Promise<Array<{ name: string; path: string; text: string }>> {
  const names = (await readdir(PATCHES_DIR)).filter((f) => f.endsWith('.patch')).sort();
  return Promise.all(names.map(async (f) => ({ name: f.replace(/\.patch$/, ''), path: join(PATCHES_DIR, f), text: await readFile(join(PATCHES_DIR, f), 'utf8') })));
}

async function withPatches(path: string, kind: KernelSource['kind'], contentId: string): Promise<KernelSource> {
  const patches = await suitePatches();
  const id = sha256(contentId, ...patches.map((p) => `${p.name}\0${p.text}`)).slice(0, 16);
  return { path, kind, id, patches: patches.map((p) => p.name) };
}

/** Debian's linux-source-X.Y packages: a name, not a path. */
const DEBIAN_SOURCE = /^linux-source-\d+\.\d+$/;

/** The file a kernel source names: a Debian package's tarball under /usr/src, else the path itself. */
export function kernelSourcePath(spec: string): string {
  return DEBIAN_SOURCE.test(spec) ? `/usr/src/${spec}.tar.xz` : spec;
}

/** The Debian package that brings a source, for one that names a package or the default tarball. */
export function kernelSourcePackage(spec: string): string | null {
  if (DEBIAN_SOURCE.test(spec)) return spec;
  return spec === DEFAULT_KERNEL_SOURCE ? 'linux-source-6.12' : null;
}

export async function resolveKernelSource(given: string = DEFAULT_KERNEL_SOURCE): Promise<KernelSource> {
  const path = kernelSourcePath(given);
  const abs = resolve(path);
  if (!existsSync(abs)) {
    const pkg = kernelSourcePackage(given);
    const hint = pkg ? ` (apt-get install ${pkg}${given === DEFAULT_KERNEL_SOURCE ? ', or pass --kernel-src DIR|TARBALL' : ''})` : '';
    throw usageError(`kernel source not found: ${path}${hint}`);
  }
  if (statSync(abs).isDirectory()) {
    if (!existsSync(join(abs, 'Makefile')) || !existsSync(join(abs, 'Kconfig'))) {
      throw usageError(`kernel source ${path} is not a kernel source tree (no Makefile and Kconfig at its top)`);
    }
    // Out-of-tree builds (O=) refuse a tree that was configured in place.
    if (existsSync(join(abs, '.config'))) {
      throw usageError(`kernel source ${path} has been built in place: run 'make mrproper' there first`);
    }
    return withPatches(abs, 'dir', sha256(abs, await treeIdentity(abs)));
  }
  if (!/\.tar(\.(xz|gz|bz2|zst))?$|\.tgz$/.test(abs)) {
    throw usageError(`kernel source ${path} is neither a directory nor a .tar[.xz|.gz|.bz2|.zst] tarball`);
  }
  return withPatches(abs, 'tarball', await sha256File(abs));
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

/**
 * The source tree to build from, with the suite's patches applied: the tarball
 * unpacked once into the cache, or a user's tree copied there as hard links
 * (the files a patch touches are copied for real first, so the user's own
 * tree is never written to).
 */
export async function sourceTree(src: KernelSource, log: string, signal?: AbortSignal): Promise<string> {
  const dest = cachePath('src', src.id);
  const done = join(dest, '.unpacked');
  if (!existsSync(done)) {
    const tmp = `${dest}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const sh = shell({ log, signal });
    if (src.kind === 'tarball') {
      process.stderr.write(`kernel source: unpacking ${src.path}\n`);
      await sh(`unpacking ${src.path}`)`tar -xf ${src.path} -C ${tmp}`;
    } else {
      process.stderr.write(`kernel source: linking ${src.path} into the cache\n`);
      await sh(`copying ${src.path} as hard links (is the cache on another file system? then pass a tarball)`)`cp -al ${src.path} ${join(tmp, 'linux')}`;
    }
    await applyPatches(topDir(tmp, await readdir(tmp, { withFileTypes: true })), src, log, sh);
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
    await writeFile(done, '');
  }
  const tree = topDir(dest, await readdir(dest, { withFileTypes: true }));
  if (!existsSync(join(tree, 'Makefile'))) {
    throw new BenchError(`${src.kind === 'tarball' ? 'tarball' : 'directory'} ${src.path} does not hold a kernel source tree`, log);
  }
  return tree;
}

function topDir(dir: string, entries: Array<{ name: string; isDirectory(): boolean }>): string {
  const top = entries.filter((d) => d.isDirectory());
  return top.length === 1 && top[0] ? join(dir, top[0].name) : dir;
}

async function applyPatches(tree: string, src: KernelSource, log: string, sh: (what: string) => ShellStep): Promise<void> {
  for (const patch of await suitePatches()) {
    if (!src.patches.includes(patch.name)) continue;
    // Break hard links before patching: patch may write a linked file in place.
    for (const m of patch.text.matchAll(/^\+\+\+ b\/(\S+)/gm)) {
      const file = join(tree, m[1]!);
      if (!existsSync(file)) throw new BenchError(`kernel patch ${patch.name}: ${m[1]} is not in ${src.path}`, log);
      await copyFile(file, `${file}.unlinked`);
      await rename(`${file}.unlinked`, file);
    }
    await sh(`applying kernel patch ${patch.name} to ${src.path} (does this kernel version have that code?)`)`patch -p1 --forward --no-backup-if-mismatch -d ${tree} -i ${patch.path}`;
  }
}
