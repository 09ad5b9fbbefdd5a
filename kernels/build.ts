import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cachePath, sha256 } from '../lib/cache.ts';
import { BenchError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { checkManifest, writeManifest } from '../lib/manifest.ts';
import { capture, runLogged } from '../lib/run.ts';
import { formatDuration, printLine, progress } from '../lib/progress.ts';
import { configIdentity, droppedOptions, parseKconfig } from './config.ts';
import { hugePageBuildEnv } from './hugepages.ts';
import { objectsToRecompile } from './objects.ts';
import { finishedSibling, seedFrom } from './seed.ts';
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
  /** The suite's patches applied to the source (kernels/patches/). */
  patches: string[];
  /** First lines of `gcc --version`, `ld --version` and `pahole --version`: a kernel built with another toolchain is another kernel. */
  toolchain: string;
}

/** The compiler, linker and BTF encoder that a kernel built now would be built with. */
const toolchain = once(async () => {
  const first = async (cmd: string) => (await capture(cmd, ['--version'], `${cmd} --version`)).split('\n')[0]!.trim();
  return (await Promise.all(['gcc', 'ld', 'pahole'].map(first))).join('; ');
});

/** The files of a cached kernel that guests and BPF builds use; kernel.json's manifest vouches for them. */
const KERNEL_FILES = (outDir: string) => Object.values(artifactPaths(outDir));

export interface BuildOptions {
  jobs: number;
  /** Where this build's log goes. */
  logDir: string;
  /** Called as each kernel becomes ready (the next one may be compiling by then). */
  onBuilt?: (kernel: BuiltKernel) => void;
  /** Stops a running build. */
  signal?: AbortSignal;
}

function artifactPaths(outDir: string): Pick<BuiltKernel, 'bzImage' | 'btf' | 'config'> {
  return { bzImage: join(outDir, 'bzImage'), btf: join(outDir, 'vmlinux.btf'), config: join(outDir, 'config') };
}

/**
 * Added to every kernel object's compiler flags (kbuild's KCFLAGS). The BPF
 * side needs only BTF from the debug info, and pahole makes BTF from DWARF's
 * types alone, so gcc's tracking of variable locations, statement markers and
 * macro expansions (for diagnostics) is work nobody reads: without it cc1 runs
 * about 14 % fewer instructions (callgrind, fs/exec.c). Objects keep the same
 * code and data, only their .debug_* sections shrink; the one other byte that
 * moves in vmlinux is the vDSO's build-id, a hash that covers its debug info.
 */
const KERNEL_CFLAGS = '-fno-var-tracking -gno-statement-frontiers -ftrack-macro-expansion=0';

/** Changes when the way a kernel is built changes, so that cached kernels built the old way are not reused. */
const BUILD_RECIPE = `tinyconfig+fragments, reproducible stamps, KCFLAGS=${KERNEL_CFLAGS}, v3`;

/**
 * Changes when the steps that make a .config change. Only the record of which
 * config a variant's inputs gave (kernels/by-inputs) depends on it: a kernel
 * is cached under its config's hash, so steps that give the same config find
 * the same kernel.
 */
const CONFIG_STEPS = 'allnoconfig, then tiny.config and the fragments in one olddefconfig';

/** Fixed build stamps, so that one source and config give the same kernel image on every machine. */
const REPRODUCIBLE_BUILD = {
  KBUILD_BUILD_TIMESTAMP: 'Tue Aug 20 00:00:00 UTC 2019',
  KBUILD_BUILD_USER: 'krsi-bench',
  KBUILD_BUILD_HOST: 'krsi-bench',
  KBUILD_BUILD_VERSION: '1',
};

/**
 * C objects of vmlinux compiled by a first build of 6.12 (the boot code's come
 * later, with bzImage): 843 for the audit kernel, which the seed matrix builds
 * first, 828 for noaudit.
 */
const ESTIMATED_OBJECTS = 843;

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
 * All are configured at once from one allnoconfig (Kconfig runs
 * single-threaded, mostly in compiler probes), then compiled one after
 * another with all cores, each seeded with the previous one's objects and
 * compiling while the previous one links.
 */
export async function buildKernels(variants: KernelVariant[], src: KernelSource, opts: BuildOptions): Promise<Record<string, BuiltKernel>> {
  const builds = variants.map((variant) => ({
    variant,
    buildDir: cachePath('build', src.id, variant.name),
    log: join(opts.logDir, `kernel-${variant.name}.log`),
  }));
  const allnoconfigLog = join(opts.logDir, 'kernel-allnoconfig.log');
  await Promise.all([...builds.map((b) => b.log), allnoconfigLog].map((log) => rm(log, { force: true })));
  if (builds.length === 0) return {};
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, builds[0]!.log, opts.signal));
  return withBuildLocks(builds, async () => {
    // Every configure ends before a failure is reported, so that none is left running behind it.
    const base = once(() => allnoconfig(src, tree, allnoconfigLog, opts.signal));
    const settled = await Promise.allSettled(builds.map((b) => prepare(b, src, tree, base, opts.signal)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ready = settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof prepare>>>).value);
    return compileAll(ready, src, builds.map((b) => b.buildDir), opts);
  });
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
async function compileAll(ready: Array<Prepared>, src: KernelSource, ours: string[], opts: BuildOptions): Promise<Record<string, BuiltKernel>> {
  const kernels: Record<string, BuiltKernel> = {};
  const finish = (kernel: BuiltKernel) => {
    kernels[kernel.variant] = kernel;
    opts.onBuilt?.(kernel);
  };
  for (const r of ready) if ('kernel' in r) finish(r.kernel);
  const todo = ready.filter((r): r is Configured => !('kernel' in r));

  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    stop.abort();
  };
  const links: Promise<void>[] = [];
  let env: Record<string, string> | undefined;
  for (const [i, c] of todo.entries()) {
    const next = todo[i + 1];
    try {
      env ??= { ...(await hugePageBuildEnv(c.build.log)), KCFLAGS: KERNEL_CFLAGS };
      const run = { jobs: opts.jobs, env, signal };
      if (i === 0) await seedFrom(c.build.buildDir, await finishedSibling(c.build.buildDir, ours), c.build.log);
      if (!next) {
        const linkStarted = await compileObjects(c, run, { andLink: true });
        links.push(storeKernel(c, src, linkStarted).then(finish, fail));
        break;
      }
      await compileObjects(c, run, { andLink: false });
      await seedFrom(next.build.buildDir, c.build.buildDir, next.build.log);
      links.push(linkKernel(c, src, run).then(finish, fail));
    } catch (error) {
      fail(error);
      break;
    }
  }
  await Promise.all(links);
  if (failure) throw failure.error;
  return kernels;
}

export async function buildKernel(variant: KernelVariant, src: KernelSource, opts: BuildOptions): Promise<BuiltKernel> {
  return (await buildKernels([variant], src, opts))[variant.name]!;
}

/** Where a kernel built from these inputs is recorded, so that a later run skips even the config steps. */
export async function inputsKey(variant: KernelVariant, src: KernelSource): Promise<string> {
  const fragments = await Promise.all(variant.fragments.map((f) => readFile(f, 'utf8')));
  return cachePath('kernels', 'by-inputs', `${variant.name}-${sha256(src.id, BUILD_RECIPE, CONFIG_STEPS, await toolchain(), ...fragments).slice(0, 16)}`);
}

/**
 * The kernel cached in outDir, if it was built with today's toolchain and its
 * files match their manifest; a damaged one is reported and built again (from
 * its build directory, usually just a link).
 */
async function cachedKernel(outDir: string): Promise<BuiltKernel | null> {
  const metaPath = join(outDir, 'kernel.json');
  if (!existsSync(metaPath)) return null;
  let cached: BuiltKernel;
  try {
    cached = JSON.parse(await readFile(metaPath, 'utf8')) as BuiltKernel;
  } catch {
    process.stderr.write(`kernel: ${metaPath} is unreadable; building that kernel again\n`);
    return null;
  }
  if (cached.toolchain !== await toolchain()) return null;
  const problem = await checkManifest(outDir, KERNEL_FILES(outDir));
  if (problem) {
    process.stderr.write(`kernel ${cached.variant}: ${problem}; building it again\n`);
    return null;
  }
  process.stderr.write(`kernel ${cached.variant}: ${cached.version} config ${cached.configHash} (cached)\n`);
  // The cache may have been moved or restored elsewhere (a CI cache): paths follow it.
  return { ...cached, ...artifactPaths(outDir) };
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

/**
 * `make tinyconfig` is allnoconfig (with kernel/configs/tiny-base.config
 * where the tree has it), then tiny.config merged in and olddefconfig. The
 * first half is the same for every variant: it runs once per run, in a
 * directory of its own, and its built Kconfig tool (scripts/) is copied into
 * each variant's tree rather than built there again. The second half runs per
 * variant with the variant's fragments merged in the same pass, which saves
 * one Kconfig run per variant (about 7 s here, mostly in compiler probes).
 * Measured on 6.12: the merged configs are identical to those of tinyconfig
 * followed by the fragments and olddefconfig.
 */
async function allnoconfig(src: KernelSource, tree: string, log: string, signal?: AbortSignal): Promise<Allnoconfig> {
  // Variant names start with a letter or digit, so this cannot be a variant's build directory.
  const dir = cachePath('build', src.id, '_allnoconfig');
  return withLock(`${dir}.lock`, 'kernel allnoconfig', async () => {
    await mkdir(dir, { recursive: true });
    const tinyBase = join(tree, 'kernel/configs/tiny-base.config');
    await runLogged('make', ['-C', tree, `O=${dir}`, 'allnoconfig'], {
      what: 'kernel config: make allnoconfig',
      log,
      env: existsSync(tinyBase) ? { KCONFIG_ALLCONFIG: tinyBase } : {},
      signal,
    });
    const tiny = ['kernel/configs/tiny.config', 'arch/x86/configs/tiny.config'].map((f) => join(tree, f)).filter((f) => existsSync(f));
    return { config: await readFile(join(dir, '.config'), 'utf8'), tiny, kconfigTool: join(dir, 'scripts') };
  });
}

interface Allnoconfig {
  config: string;
  /** tinyconfig's own fragments, merged before the variant's. */
  tiny: string[];
  /** The build directory's scripts/, holding the compiled Kconfig tool. */
  kconfigTool: string;
}

/** allnoconfig, then tinyconfig's fragments and the variant's, then olddefconfig, then a check that every requested option is there. */
async function configure(variant: KernelVariant, src: KernelSource, tree: string, buildDir: string, log: string, base: () => Promise<Allnoconfig>, signal?: AbortSignal) {
  await mkdir(buildDir, { recursive: true });
  const make = (args: string[], what: string, more: { onLine?: (l: string) => void; env?: Record<string, string>; signal?: AbortSignal } = {}) =>
    runLogged('make', ['-C', tree, `O=${buildDir}`, ...args], { what, log, signal, ...more, env: { ...REPRODUCIBLE_BUILD, ...more.env } });

  process.stderr.write(`kernel ${variant.name}: configuring (tinyconfig and fragments, olddefconfig)\n`);
  const { config, tiny, kconfigTool } = await base();
  await writeFile(join(buildDir, '.config'), config);
  await runLogged('cp', ['-a', kconfigTool, buildDir], { what: `kernel config (${variant.name}): copying the Kconfig tool`, log, signal });
  await runLogged(join(tree, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', buildDir, join(buildDir, '.config'), ...tiny, ...variant.fragments], {
    what: `kernel config (${variant.name}): merging fragments`,
    log,
    cwd: tree,
    signal,
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
  const base = () => allnoconfig(src, tree, join(logDir, 'kernel-allnoconfig.log'));
  return withLock(`${buildDir}.lock`, `kernel ${variant.name}`, async () => (await configure(variant, src, tree, buildDir, log, base)).configHash);
}

type Configured = Awaited<ReturnType<typeof configure>> & { build: VariantBuild; outDir: string; byInputs: string };
type Prepared = { build: VariantBuild; kernel: BuiltKernel } | Configured;

/** A variant's kernel from the cache, or its build directory configured and ready to compile. */
async function prepare(build: VariantBuild, src: KernelSource, tree: string, base: () => Promise<Allnoconfig>, signal?: AbortSignal): Promise<Prepared> {
  const { variant, buildDir, log } = build;
  const byInputs = await inputsKey(variant, src);
  if (existsSync(byInputs)) {
    const known = await cachedKernel(cachePath('kernels', (await readFile(byInputs, 'utf8')).trim()));
    if (known) return { build, kernel: known };
  }
  const configured = await configure(variant, src, tree, buildDir, log, base, signal);
  const outDir = cachePath('kernels', `${variant.name}-${configured.configHash}`);
  await mkdir(dirname(byInputs), { recursive: true });
  const cached = await cachedKernel(outDir);
  if (cached) {
    await writeFile(byInputs, basename(outDir));
    return { build, kernel: cached };
  }
  return { ...configured, build, outDir, byInputs };
}

/** How one variant's make runs; compiling and linking must get the same KCFLAGS, or kbuild compiles again. */
interface MakeRun {
  jobs: number;
  env: Record<string, string>;
  signal: AbortSignal;
}

/**
 * Every object of vmlinux compiled and vmlinux.o linked from them (kbuild's
 * vmlinux_o), and with andLink the kernel linked too (bzImage). Returns when
 * linking began.
 */
async function compileObjects(c: Configured, { jobs, env, signal }: MakeRun, { andLink }: { andLink: boolean }): Promise<number> {
  const { build: { variant, buildDir }, configText, make } = c;
  // Objects new to this config (audit's own files, for one) have no record yet, so a rebuild's estimate is a little low.
  const expected = (await objectsToRecompile(buildDir, configText)) ?? ESTIMATED_OBJECTS;
  const bar = progress(`kernel ${variant.name}: compiling`);
  let objects = 0;
  let linkStarted: number | undefined;
  const onLine = (line: string) => {
    if (linkStarted !== undefined) return;
    if (/^\s+CC\s/.test(line)) bar.update(++objects, Math.max(expected, objects), 'objects');
    // The link's first step: vmlinux.o when objects were compiled, else modpost or the first vmlinux pass.
    else if (andLink && /^\s+\S+\s+(vmlinux\.o|vmlinux\.symvers|\.tmp_vmlinux\S*)$/.test(line)) {
      linkStarted = Date.now();
      bar.done(`${objects} objects`);
      printLine(`kernel ${variant.name}: linking vmlinux and bzImage`);
    }
  };
  await make([`-j${jobs}`, andLink ? 'bzImage' : 'vmlinux_o'], `kernel build (${variant.name})`, { onLine, env, signal });
  if (linkStarted === undefined) bar.done(`${objects} objects`);
  return linkStarted ?? Date.now();
}

/** vmlinux and bzImage from the compiled objects, then the kernel's files into the cache. */
async function linkKernel(c: Configured, src: KernelSource, { jobs, env, signal }: MakeRun): Promise<BuiltKernel> {
  const started = Date.now();
  printLine(`kernel ${c.build.variant.name}: linking vmlinux and bzImage`);
  await c.make([`-j${jobs}`, 'bzImage'], `kernel build (${c.build.variant.name})`, { env, signal });
  return storeKernel(c, src, started);
}

/** A linked kernel's files into the cache. */
async function storeKernel(c: Configured, src: KernelSource, linkStarted: number): Promise<BuiltKernel> {
  const { build: { variant, buildDir, log }, configHash, tree, outDir, byInputs } = c;
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
  const kernel: BuiltKernel = { variant: variant.name, version, configHash, sourceId: src.id, patches: src.patches, toolchain: await toolchain(), ...artifactPaths(outDir) };
  await writeManifest(tmp, KERNEL_FILES(tmp));
  await writeFile(join(tmp, 'kernel.json'), JSON.stringify(kernel, null, 2));
  await rm(outDir, { recursive: true, force: true });
  await rename(tmp, outDir);
  await writeFile(byInputs, basename(outDir));
  printLine(`kernel ${variant.name}: ${version} config ${configHash} built (linked in ${formatDuration(Date.now() - linkStarted)})`);
  return kernel;
}
