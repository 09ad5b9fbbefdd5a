import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cachePath, sha256 } from '../bench/cache.ts';
import { BenchError } from '../bench/errors.ts';
import { withLock } from '../bench/lock.ts';
import { capture, runLogged } from '../bench/proc.ts';
import { progress } from '../bench/progress.ts';
import { configIdentity, droppedOptions, parseKconfig } from './config.ts';
import { hugePageBuildEnv } from './hugepages.ts';
import { objectsToRecompile } from './objects.ts';
import { sourceTree, type KernelSource } from './source.ts';
import type { KernelVariant } from './variants.ts';

/** A kernel ready to boot, as kept in the cache. */
export interface BuiltKernel {
  variant: string;
  /** `make kernelrelease`, e.g. 6.12.57 */
  version: string;
  /** sha256 of the source id and the merged config's set options (16 hex digits): the cache key. */
  configHash: string;
  bzImage: string;
  /** Raw BTF of vmlinux, for generating vmlinux.h. */
  btf: string;
  /** The merged .config. */
  config: string;
  sourceId: string;
}

export interface BuildOptions {
  jobs: number;
  /** Where this build's log goes. */
  logDir: string;
  /** Called as each kernel becomes ready, before the next one is compiled. */
  onBuilt?: (kernel: BuiltKernel) => void;
  /** Stops a running build. */
  signal?: AbortSignal;
}

function artifactPaths(outDir: string): Pick<BuiltKernel, 'bzImage' | 'btf' | 'config'> {
  return { bzImage: join(outDir, 'bzImage'), btf: join(outDir, 'vmlinux.btf'), config: join(outDir, 'config') };
}

/** Changes when the way a kernel is built changes, so that cached kernels built the old way are not reused. */
const BUILD_RECIPE = 'tinyconfig+fragments, reproducible stamps, v2';

/** Fixed build stamps, so that one source and config give the same kernel image on every machine. */
const REPRODUCIBLE_BUILD = {
  KBUILD_BUILD_TIMESTAMP: 'Tue Aug 20 00:00:00 UTC 2019',
  KBUILD_BUILD_USER: 'krsi-bench',
  KBUILD_BUILD_HOST: 'krsi-bench',
  KBUILD_BUILD_VERSION: '1',
};

/** C files compiled by a first build of 6.12 with the base fragment. */
const ESTIMATED_OBJECTS = 857;

/**
 * Before a variant's first build, copies in the objects of a sibling variant
 * built from the same source, keeping this variant's .config. Kbuild records
 * which CONFIG_ symbols each object depends on (fixdep, include/config/), so
 * only the objects that use an option that differs are compiled again. For
 * audit that is still most of them (task_struct's layout depends on
 * CONFIG_AUDIT): measured, 764 of 857 objects, so this saves about a tenth.
 */
async function seedFromSibling(buildDir: string, ours: string[], log: string): Promise<void> {
  if (existsSync(join(buildDir, 'vmlinux'))) return;
  const parent = dirname(buildDir);
  const siblings = (await readdir(parent)).map((s) => join(parent, s));
  // A sibling locked by another run may be half-built; one locked by this run is complete by now.
  const seed = siblings.find((d) => d !== buildDir && existsSync(join(d, 'vmlinux')) && (ours.includes(d) || !existsSync(`${d}.lock`)));
  if (!seed) return;
  const config = await readFile(join(buildDir, '.config'));
  await runLogged('cp', ['-a', `${seed}/.`, buildDir], { what: `copying the objects of ${seed}`, log });
  await writeFile(join(buildDir, '.config'), config);
}

interface VariantBuild {
  variant: KernelVariant;
  buildDir: string;
  log: string;
}

/** Runs fn holding the locks of these build directories, taken in one order so that two runs cannot deadlock. */
function withBuildLocks<T>(builds: VariantBuild[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...builds].sort((a, b) => a.buildDir.localeCompare(b.buildDir));
  const hold = (i: number): Promise<T> =>
    i === sorted.length ? fn() : withLock(`${sorted[i]!.buildDir}.lock`, `kernel ${sorted[i]!.variant.name}`, () => hold(i + 1));
  return hold(0);
}

/**
 * Builds kernel variants of one source out of tree, or returns them from the
 * cache when a kernel of the same source and merged config was built before.
 * All are configured at once (Kconfig runs single-threaded, about half a
 * minute each, mostly compiler probes), then compiled one after another with
 * all cores, the later ones seeded with the first one's objects.
 */
export async function buildKernels(variants: KernelVariant[], src: KernelSource, opts: BuildOptions): Promise<Record<string, BuiltKernel>> {
  const builds = variants.map((variant) => ({
    variant,
    buildDir: cachePath('build', src.id, variant.name),
    log: join(opts.logDir, `kernel-${variant.name}.log`),
  }));
  await Promise.all(builds.map((b) => rm(b.log, { force: true })));
  if (builds.length === 0) return {};
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, builds[0]!.log));
  return withBuildLocks(builds, async () => {
    // Every configure ends before a failure is reported, so that none is left running behind it.
    const settled = await Promise.allSettled(builds.map((b) => prepare(b, src, tree)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ready = settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof prepare>>>).value);
    const kernels: Record<string, BuiltKernel> = {};
    const ours = builds.map((b) => b.buildDir);
    for (const r of ready) {
      const kernel = 'kernel' in r ? r.kernel : await compile(r, src, ours, opts);
      kernels[kernel.variant] = kernel;
      opts.onBuilt?.(kernel);
    }
    return kernels;
  });
}

export async function buildKernel(variant: KernelVariant, src: KernelSource, opts: BuildOptions): Promise<BuiltKernel> {
  return (await buildKernels([variant], src, opts))[variant.name]!;
}

/** Where a kernel built from these inputs is recorded, so that a later run skips even the config steps. */
async function inputsKey(variant: KernelVariant, src: KernelSource): Promise<string> {
  const fragments = await Promise.all(variant.fragments.map((f) => readFile(f, 'utf8')));
  return cachePath('kernels', 'by-inputs', `${variant.name}-${sha256(src.id, BUILD_RECIPE, ...fragments).slice(0, 16)}`);
}

async function cachedKernel(outDir: string): Promise<BuiltKernel | null> {
  const metaPath = join(outDir, 'kernel.json');
  if (!existsSync(metaPath)) return null;
  const cached = JSON.parse(await readFile(metaPath, 'utf8')) as BuiltKernel;
  process.stderr.write(`kernel ${cached.variant}: ${cached.version} config ${cached.configHash} (cached)\n`);
  // The cache may have been moved or restored elsewhere (a CI cache): paths follow it.
  return { ...cached, ...artifactPaths(outDir) };
}

/** tinyconfig, then the fragments, then olddefconfig, then a check that every requested option is there. */
async function configure(variant: KernelVariant, src: KernelSource, tree: string, buildDir: string, log: string) {
  await mkdir(buildDir, { recursive: true });
  const make = (args: string[], what: string, more: { onLine?: (l: string) => void; env?: Record<string, string>; signal?: AbortSignal } = {}) =>
    runLogged('make', ['-C', tree, `O=${buildDir}`, ...args], { what, log, ...more, env: { ...REPRODUCIBLE_BUILD, ...more.env } });

  process.stderr.write(`kernel ${variant.name}: configuring (tinyconfig, fragments, olddefconfig)\n`);
  await make(['tinyconfig'], `kernel config (${variant.name}): make tinyconfig`);
  await runLogged(join(tree, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', buildDir, join(buildDir, '.config'), ...variant.fragments], {
    what: `kernel config (${variant.name}): merging fragments`,
    log,
    cwd: tree,
  });
  await make(['olddefconfig'], `kernel config (${variant.name}): make olddefconfig`);

  const configText = await readFile(join(buildDir, '.config'), 'utf8');
  const requested = parseKconfig((await Promise.all(variant.fragments.map((f) => readFile(f, 'utf8')))).join('\n'));
  const dropped = droppedOptions(requested, parseKconfig(configText));
  if (dropped.length > 0) {
    throw new BenchError(`kernel config (${variant.name}): ${dropped.join('; ')} after olddefconfig (unmet dependency?)`, log);
  }

  const configHash = sha256(src.id, BUILD_RECIPE, configIdentity(configText)).slice(0, 16);
  return { configHash, configText, make, tree };
}

/** The config hash a variant's kernel gets (its cache key), without building it. */
export async function kernelConfigHash(variant: KernelVariant, src: KernelSource, logDir: string): Promise<string> {
  const log = join(logDir, `kernel-${variant.name}.log`);
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, log));
  const buildDir = cachePath('build', src.id, variant.name);
  return withLock(`${buildDir}.lock`, `kernel ${variant.name}`, async () => (await configure(variant, src, tree, buildDir, log)).configHash);
}

type Configured = Awaited<ReturnType<typeof configure>> & { build: VariantBuild; outDir: string; byInputs: string };

/** A variant's kernel from the cache, or its build directory configured and ready to compile. */
async function prepare(build: VariantBuild, src: KernelSource, tree: string): Promise<{ build: VariantBuild; kernel: BuiltKernel } | Configured> {
  const { variant, buildDir, log } = build;
  const byInputs = await inputsKey(variant, src);
  if (existsSync(byInputs)) {
    const known = await cachedKernel(cachePath('kernels', (await readFile(byInputs, 'utf8')).trim()));
    if (known) return { build, kernel: known };
  }
  const configured = await configure(variant, src, tree, buildDir, log);
  const outDir = cachePath('kernels', `${variant.name}-${configured.configHash}`);
  await mkdir(dirname(byInputs), { recursive: true });
  const cached = await cachedKernel(outDir);
  if (cached) {
    await writeFile(byInputs, basename(outDir));
    return { build, kernel: cached };
  }
  return { ...configured, build, outDir, byInputs };
}

async function compile(c: Configured, src: KernelSource, ours: string[], opts: BuildOptions): Promise<BuiltKernel> {
  const { build: { variant, buildDir, log }, configHash, configText, make, tree, outDir, byInputs } = c;
  await seedFromSibling(buildDir, ours, log);
  // Objects new to this config (audit's own files, for one) have no record yet, so a rebuild's estimate is a little low.
  const expected = (await objectsToRecompile(buildDir, configText)) ?? ESTIMATED_OBJECTS;
  const hugePages = await hugePageBuildEnv(log);
  const bar = progress(`kernel ${variant.name}: building`);
  let objects = 0;
  const onLine = (line: string) => {
    if (/^\s+CC\s/.test(line)) bar.update(++objects, Math.max(expected, objects), 'objects');
  };
  await make([`-j${opts.jobs}`, 'bzImage'], `kernel build (${variant.name})`, { onLine, env: hugePages, signal: opts.signal });

  const version = (await capture('make', ['-s', '-C', tree, `O=${buildDir}`, 'kernelrelease'], 'make kernelrelease')).trim();
  const tmp = `${outDir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await copyFile(join(buildDir, 'arch/x86/boot/bzImage'), join(tmp, 'bzImage'));
  await copyFile(join(buildDir, '.config'), join(tmp, 'config'));
  // The .BTF section alone is all vmlinux.h generation needs; vmlinux itself is ~10x larger.
  await runLogged('objcopy', ['-O', 'binary', '--only-section=.BTF', join(buildDir, 'vmlinux'), join(tmp, 'vmlinux.btf')], {
    what: `extracting BTF (${variant.name})`,
    log,
  });
  const kernel: BuiltKernel = { variant: variant.name, version, configHash, sourceId: src.id, ...artifactPaths(outDir) };
  await writeFile(join(tmp, 'kernel.json'), JSON.stringify(kernel, null, 2));
  await rm(outDir, { recursive: true, force: true });
  await rename(tmp, outDir);
  await writeFile(byInputs, basename(outDir));
  bar.done(`${version} config ${configHash} built (${objects} objects)`);
  return kernel;
}
