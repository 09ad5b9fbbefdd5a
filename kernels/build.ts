import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePath } from '../lib/cache.ts';
import { takeLock, withLock, type HeldLock } from '../lib/lock.ts';
import { once } from '../lib/once.ts';
import { printLine } from '../lib/progress.ts';
import { runLogged } from '../lib/run.ts';
import { buildTreeDir, cachedKernel, inputsKey, kernelByInputs, kernelDir, recordInputs, storeKernel, type BuiltKernel, type LinkedKernel } from './cache.ts';
import { allnoconfig, configure, type Allnoconfig } from './config.ts';
import { hugePageBuildEnv } from './hugepages.ts';
import { objectsToRecompile } from './objects.ts';
import { compileProgress, ESTIMATED_OBJECTS } from './progress.ts';
import { kernelFlags, REPRODUCIBLE_BUILD } from './recipe.ts';
import { finishedSibling, seedFrom } from './seed.ts';
import { sourceTree, type KernelSource } from './source.ts';
import { clearCompiled, markCompiled } from './tree-state.ts';
import type { KernelVariant } from './variants.ts';

export type { BuiltKernel } from './cache.ts';
export { inputsKey } from './cache.ts';
export { kernelConfigHash } from './config.ts';

export interface BuildOptions {
  jobs: number;
  /** Where this build's log goes. */
  logDir: string;
  /** Called as each kernel becomes ready (the next one may be compiling by then). */
  onBuilt?: (kernel: BuiltKernel) => void;
  /** Stops a running build. */
  signal?: AbortSignal;
  /** Compiles and links even a kernel the cache has: brings back a build tree that its drawn links need (kernels/relink.ts). */
  rebuild?: boolean;
}

interface VariantBuild {
  variant: KernelVariant;
  buildDir: string;
  log: string;
}

/** A variant configured and not in the cache: its build directory is ready to compile. */
type ToCompile = LinkedKernel & { configText: string };
type Prepared = { kernel: BuiltKernel } | ToCompile;

/**
 * Takes the locks of these build directories, in one order so that two runs
 * cannot deadlock. Each is released as soon as its tree is done with
 * (compileAll), so that a built kernel's drawn links (kernels/relink.ts) can
 * be made in its tree while the next kernel compiles.
 */
async function takeBuildLocks(builds: VariantBuild[]): Promise<Map<string, HeldLock>> {
  const sorted = [...builds].sort((a, b) => a.buildDir.localeCompare(b.buildDir));
  const held = new Map<string, HeldLock>();
  try {
    for (const b of sorted) held.set(b.buildDir, await takeLock(`${b.buildDir}.lock`, `kernel ${b.variant.name}`));
  } catch (err) {
    await Promise.all([...held.values()].map((l) => l.release()));
    throw err;
  }
  return held;
}

/**
 * Builds kernel variants of one source out of tree, or returns them from the
 * cache when a kernel of the same source and merged config was built before.
 * All are configured at once from one allnoconfig (Kconfig runs
 * single-threaded, mostly in compiler probes), then compiled one after
 * another with all cores, each seeded with the previous one's objects and
 * compiling while the previous one links.
 */
export async function buildKernels(variants: KernelVariant[], src: KernelSource, opts: BuildOptions): Promise<Record<string, BuiltKernel>> {
  const builds = variants.map((variant) => ({
    variant,
    buildDir: buildTreeDir(src.id, variant.name),
    log: join(opts.logDir, `kernel-${variant.name}.log`),
  }));
  // One per source: a run may build kernels of several.
  const allnoconfigLog = join(opts.logDir, `kernel-allnoconfig-${src.id}.log`);
  await Promise.all([...builds.map((b) => b.log), allnoconfigLog].map((log) => rm(log, { force: true })));
  if (builds.length === 0) return {};
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, builds[0]!.log, opts.signal));
  const locks = await takeBuildLocks(builds);
  const release = (buildDir: string) => locks.get(buildDir)!.release();
  try {
    // Every configure ends before a failure is reported, so that none is left running behind it.
    const base = once(() => allnoconfig(src, tree, allnoconfigLog, opts.signal));
    const settled = await Promise.allSettled(builds.map((b) => prepare(b, src, tree, base, opts)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ready = settled.map((r, i) => ({ ...(r as PromiseFulfilledResult<Prepared>).value, buildDir: builds[i]!.buildDir }));
    return await compileAll(ready, builds.map((b) => b.buildDir), opts, release);
  } finally {
    await Promise.all([...locks.values()].map((l) => l.release()));
  }
}

export async function buildKernel(variant: KernelVariant, src: KernelSource, opts: BuildOptions): Promise<BuiltKernel> {
  return (await buildKernels([variant], src, opts))[variant.name]!;
}

/** A variant's kernel from the cache, or its build directory configured and ready to compile. */
async function prepare(build: VariantBuild, src: KernelSource, tree: string, base: () => Promise<Allnoconfig>, opts: BuildOptions): Promise<Prepared> {
  const { variant, buildDir, log } = build;
  const byInputs = await inputsKey(variant, src);
  const known = opts.rebuild ? null : await kernelByInputs(byInputs);
  if (known) return { kernel: known };
  const { configHash, configText } = await configure(variant, src, tree, buildDir, log, base, opts.signal);
  const outDir = kernelDir(variant.name, configHash);
  const cached = opts.rebuild ? null : await cachedKernel(outDir);
  if (cached) {
    await recordInputs(byInputs, outDir);
    return { kernel: cached };
  }
  return { variant: variant.name, src, tree, buildDir, log, configHash, configText, byInputs };
}

/** How one variant's make runs; compiling and linking must get the same KCFLAGS and KAFLAGS, or kbuild compiles again. */
interface MakeRun {
  jobs: number;
  env: Record<string, string>;
  signal: AbortSignal;
}

/**
 * Compiles the configured variants' objects one variant after another, each
 * with all cores. A kernel's link (vmlinux three times over for kallsyms and
 * BTF, then the compressed bzImage: about half a minute, mostly on one core)
 * runs while the next variant compiles, which is seeded with its objects
 * before the link starts writing beside them. The last variant seeds nothing,
 * so one make compiles and links it: a second make would spend about 10 s
 * walking every directory again to find nothing to compile, at the very end
 * of the build. A failure anywhere stops the rest, and is reported once
 * nothing is left running.
 */
async function compileAll(
  ready: (Prepared & { buildDir: string })[], ours: string[], opts: BuildOptions, release: (buildDir: string) => Promise<void>,
): Promise<Record<string, BuiltKernel>> {
  const kernels: Record<string, BuiltKernel> = {};
  const finish = (kernel: BuiltKernel) => {
    kernels[kernel.variant] = kernel;
    opts.onBuilt?.(kernel);
  };
  const todo = ready.filter((r): r is ToCompile => !('kernel' in r));
  // A tree is free once its kernel is in the cache and no tree is still to be seeded from it.
  const cachedTrees = ready.filter((r) => 'kernel' in r).map((r) => r.buildDir);
  const releaseCached = once(async () => { await Promise.all(cachedTrees.map(release)); });
  if (todo.length === 0) await releaseCached();
  for (const r of ready) if ('kernel' in r) finish(r.kernel);

  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort();
  };
  const stored = (c: ToCompile) => async (kernel: BuiltKernel) => {
    await release(c.buildDir);
    finish(kernel);
  };
  const links: Promise<void>[] = [];
  let shared: Record<string, string> | undefined;
  for (const [i, c] of todo.entries()) {
    const next = todo[i + 1];
    try {
      shared ??= { ...REPRODUCIBLE_BUILD, ...(await hugePageBuildEnv(c.log)) };
      const run = { jobs: opts.jobs, env: { ...shared, ...kernelFlags(c.tree, c.buildDir) }, signal };
      if (i === 0) await seedFrom(c.buildDir, await finishedSibling(c.buildDir, ours), c.log);
      await releaseCached();
      if (!next) {
        const linkStarted = await compileObjects(c, run, { andLink: true });
        links.push(storeKernel(c, linkStarted).then(stored(c), fail));
        break;
      }
      await compileObjects(c, run, { andLink: false });
      await seedFrom(next.buildDir, c.buildDir, next.log);
      links.push(linkKernel(c, run).then(stored(c), fail));
    } catch (error) {
      fail(error);
      break;
    }
  }
  await Promise.all(links);
  if (failure) throw failure.error;
  return kernels;
}

function make(c: ToCompile, target: string, { jobs, env, signal }: MakeRun, onLine?: (line: string) => void): Promise<void> {
  return runLogged('make', ['-C', c.tree, `O=${c.buildDir}`, `-j${jobs}`, target], { what: `kernel build (${c.variant})`, log: c.log, env, signal, onLine });
}

/**
 * Every object of vmlinux compiled and vmlinux.o linked from them (kbuild's
 * vmlinux_o), and with andLink the kernel linked too (bzImage). Returns when
 * linking began.
 */
async function compileObjects(c: ToCompile, run: MakeRun, { andLink }: { andLink: boolean }): Promise<number> {
  // Objects new to this config (audit's own files, for one) have no record yet, so a rebuild's estimate is a little low.
  const expected = (await objectsToRecompile(c.buildDir, c.configText)) ?? ESTIMATED_OBJECTS;
  const bar = compileProgress(c.variant, expected, andLink);
  await clearCompiled(c.buildDir);
  await make(c, andLink ? 'bzImage' : 'vmlinux_o', run, bar.onLine);
  await markCompiled(c.buildDir, c.configHash);
  return bar.finish();
}

/** vmlinux and bzImage from the compiled objects, then the kernel's files into the cache. */
async function linkKernel(c: ToCompile, run: MakeRun): Promise<BuiltKernel> {
  const started = Date.now();
  printLine(`kernel ${c.variant}: linking vmlinux and bzImage`);
  await make(c, 'bzImage', run);
  return storeKernel(c, started);
}
