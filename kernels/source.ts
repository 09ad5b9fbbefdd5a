import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachePath, sha256, sha256File } from '../lib/cache.ts';
import { BenchError, usageError } from '../lib/errors.ts';
import type { KernelSourceRecord } from '../lib/results.ts';
import { cachedTarball, debianTarball } from './debian-source.ts';
import { DEFAULT_KERNEL_SOURCE, packageLabel, parseSourceSpec, PINNED_SOURCES, pinOfDigest, type PinnedSource } from './pins.ts';
import { capture } from '../lib/run.ts';
import { shell, type ShellStep } from '../lib/shell.ts';

export interface KernelSource {
  /** The tarball or source directory; for a package, where its tarball is or will be fetched to. */
  path: string;
  /** What run.json records of it; origin.kind says whether path is a package's tarball, a tarball or a tree. */
  origin: KernelSourceRecord;
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

async function withPatches(path: string, origin: KernelSourceRecord, contentId: string): Promise<KernelSource> {
  const patches = await suitePatches();
  const id = sha256(contentId, ...patches.map((p) => `${p.name}\0${p.text}`)).slice(0, 16);
  return { path, origin, id, patches: patches.map((p) => p.name) };
}

/** Whether the cache already holds this source unpacked and patched: then its tarball is not needed. */
const unpacked = (id: string) => existsSync(join(cachePath('src', id), '.unpacked'));

export interface ResolveOptions {
  /** Build a tarball that is not a pinned source (--allow-unpinned-source). */
  allowUnpinned?: boolean;
  /** Where a download's output goes. */
  log: string;
  signal?: AbortSignal;
}

/** A pinned package's source, its id from the pin's digest: nothing is fetched or read. */
export function pinnedSource(pin: PinnedSource): Promise<KernelSource> {
  const origin: KernelSourceRecord = { spec: `${pin.package}=${pin.version}`, kind: 'package', package: pin.package, version: pin.version, sha256: pin.sha256, pinned: true };
  return withPatches(cachedTarball(pin), origin, pin.sha256);
}

/**
 * What a kernel source names, checked before anything is built: a Debian
 * package at its pinned version (or at a version named by hand), a tarball
 * (refused unless its digest is a pin's, or allowUnpinned), or a tree. A
 * pinned package's tarball is fetched only when the cache lacks its
 * unpacked tree, since its digest, and so the source id, is known from the pin.
 */
export async function resolveKernelSource(given: string, opts: ResolveOptions): Promise<KernelSource> {
  const spec = parseSourceSpec(given);
  if (spec.kind === 'package') {
    const pv = { package: spec.package, version: spec.version, pin: spec.pin };
    if (spec.pin) {
      const src = await pinnedSource(spec.pin);
      if (unpacked(src.id)) return src;
      return { ...src, path: (await debianTarball(pv, opts.log, opts.signal)).path };
    }
    const fetched = await debianTarball(pv, opts.log, opts.signal);
    const origin: KernelSourceRecord = { spec: `${spec.package}=${spec.version}`, kind: 'package', package: spec.package, version: spec.version, sha256: fetched.sha256, pinned: false };
    return withPatches(fetched.path, origin, fetched.sha256);
  }
  const path = spec.path;
  const abs = resolve(path);
  if (!existsSync(abs)) throw usageError(`kernel source not found: ${path} (give a tarball, a tree, or a Debian package such as ${DEFAULT_KERNEL_SOURCE})`);
  if (statSync(abs).isDirectory()) {
    if (!existsSync(join(abs, 'Makefile')) || !existsSync(join(abs, 'Kconfig'))) {
      throw usageError(`kernel source ${path} is not a kernel source tree (no Makefile and Kconfig at its top)`);
    }
    // Out-of-tree builds (O=) refuse a tree that was configured in place.
    if (existsSync(join(abs, '.config'))) {
      throw usageError(`kernel source ${path} has been built in place: run 'make mrproper' there first`);
    }
    const origin: KernelSourceRecord = { spec: abs, kind: 'tree', package: null, version: null, sha256: null, pinned: false };
    return withPatches(abs, origin, sha256(abs, await treeIdentity(abs)));
  }
  if (!/\.tar(\.(xz|gz|bz2|zst))?$|\.tgz$/.test(abs)) {
    throw usageError(`kernel source ${path} is neither a directory nor a .tar[.xz|.gz|.bz2|.zst] tarball`);
  }
  const digest = await sha256File(abs);
  const pin = pinOfDigest(digest);
  if (!pin && !opts.allowUnpinned) {
    const pins = PINNED_SOURCES.map((p) => packageLabel(p.package, p.version)).join(', ');
    throw usageError(`kernel source ${path} (sha256 ${digest.slice(0, 12)}) is not a pinned source (${pins}): pass --allow-unpinned-source to build it anyway; its figures will not compare with baselines/`);
  }
  const origin: KernelSourceRecord = { spec: abs, kind: 'tarball', package: pin?.package ?? null, version: pin?.version ?? null, sha256: digest, pinned: pin !== null };
  return withPatches(abs, origin, digest);
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
    if (src.origin.kind === 'tree') {
      process.stderr.write(`kernel source: linking ${src.path} into the cache\n`);
      await sh(`copying ${src.path} as hard links (is the cache on another file system? then pass a tarball)`)`cp -al ${src.path} ${join(tmp, 'linux')}`;
    } else {
      const tarball = await tarballOf(src, log, signal);
      process.stderr.write(`kernel source: unpacking ${tarball}\n`);
      await sh(`unpacking ${tarball}`)`tar -xf ${tarball} -C ${tmp}`;
    }
    const unpackedTree = topDir(tmp, await readdir(tmp, { withFileTypes: true }));
    if (!existsSync(join(unpackedTree, 'Makefile')) || !existsSync(join(unpackedTree, 'Kconfig'))) {
      await rm(tmp, { recursive: true, force: true });
      throw usageError(`${src.origin.kind === 'tree' ? 'directory' : 'tarball'} ${src.path} does not hold a kernel source tree (no Makefile and Kconfig at its top)`, log);
    }
    await applyPatches(unpackedTree, src, log, sh);
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
    await writeFile(done, '');
  }
  return topDir(dest, await readdir(dest, { withFileTypes: true }));
}

/** The tarball to unpack: a pinned package's is fetched here when the cache was cleaned since it was resolved. */
async function tarballOf(src: KernelSource, log: string, signal?: AbortSignal): Promise<string> {
  if (src.origin.kind !== 'package' || existsSync(src.path)) return src.path;
  const spec = parseSourceSpec(src.origin.spec);
  if (spec.kind !== 'package') return src.path;
  return (await debianTarball({ package: spec.package, version: spec.version, pin: spec.pin }, log, signal)).path;
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
