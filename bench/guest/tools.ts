import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltKernel } from '../../kernels/build.ts';
import type { BpfObject } from '../matrix.ts';
import { cachePath, sha256 } from '../../lib/cache.ts';
import { BenchError } from '../../lib/errors.ts';
import { withLock } from '../../lib/lock.ts';
import { checkManifest, fileDigest, writeManifest } from '../../lib/manifest.ts';
import { shell } from '../../lib/shell.ts';
import { LAYOUT_OBJECTS, layoutName, type WorkloadLayout } from './workload-layout.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORKLOADS_DIR = join(ROOT, 'workloads');
export const BPF_DIR = join(ROOT, 'bpf');
export const PROFILER_DIR = join(ROOT, 'profiler');

/** Digest of a source folder's files: what its build output depends on. */
export async function sourceDigest(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((f) => /\.(c|h)$|^Makefile$/.test(f)).sort();
  const parts = await Promise.all(names.map(async (n) => `${n}\0${await readFile(join(dir, n), 'utf8')}`));
  return sha256(...parts).slice(0, 16);
}

export interface Workloads {
  nop: string;
  execbench: string;
  seedrng: string;
  /** The snapshot program of profiling boots, in their initramfs only. */
  attribution: string;
  /** The dynamic exec target and the library LD_PRELOAD names for it (bench/guest/exec-target.ts). */
  krsiTrue: string;
  /** What keeps libc mapped beside it (workloads/krsi_hold.c). */
  krsiHold: string;
  preloadLibrary: string;
  /** Where a split boot stops being shared (workloads/split_boot.c). */
  splitBoot: string;
  /** Where execbench's objects are kept, for the layouts linked from them (linkWorkloadLayout). */
  objectDir: string;
  digest: string;
}

/**
 * Uses `outputs` (files under dir) when the manifest vouches for them.
 * Otherwise builds them into a directory of their own beside dir, renames
 * each into place, and writes the manifest last: a build that dies halfway
 * leaves no half-written file under a name that is used.
 */
async function buildVerified(dir: string, outputs: string[], what: string, build: (into: string) => Promise<void>, manifest?: string): Promise<void> {
  const problem = await checkManifest(dir, outputs, manifest);
  if (problem === null) return;
  if (outputs.some((o) => existsSync(o))) process.stderr.write(`${what}: ${problem}; building again\n`);
  // One name, not one per process: the lock on dir is held, and compilers write the build
  // directory's path into what they build (debug info), so a rebuild is identical byte for byte.
  const into = `${dir}.build`;
  await rm(into, { recursive: true, force: true });
  try {
    await build(into);
    for (const o of outputs) {
      await mkdir(dirname(o), { recursive: true });
      await rename(join(into, relative(dir, o)), o);
    }
  } finally {
    await rm(into, { recursive: true, force: true });
  }
  await writeManifest(dir, outputs, manifest);
}

/** nop, execbench, seedrng, attribution, split-boot and the dynamic target with its library, built once per source digest. */
export async function buildWorkloads(logDir: string): Promise<Workloads> {
  const digest = await sourceDigest(WORKLOADS_DIR);
  const out = cachePath('workloads', digest);
  const built = {
    nop: join(out, 'nop'), execbench: join(out, 'execbench'), seedrng: join(out, 'seedrng'), attribution: join(out, 'attribution'),
    krsiTrue: join(out, 'krsi-true'), krsiHold: join(out, 'krsi-hold'), preloadLibrary: join(out, 'libkrsi-demo.so'),
    splitBoot: join(out, 'split-boot'), objectDir: out, digest,
  };
  const objects = LAYOUT_OBJECTS.filter((o) => o !== 'layout_pad.o').map((o) => join(out, o));
  const outputs = [built.nop, built.execbench, built.seedrng, built.attribution, built.krsiTrue, built.krsiHold, built.preloadLibrary, built.splitBoot, ...objects];
  await withLock(`${out}.lock`, 'workloads', () => buildVerified(out, outputs, 'workloads', (into) =>
    shell({ log: join(logDir, 'workloads.log') })('building workloads/')`make -C ${WORKLOADS_DIR} OUT=${into}`));
  return built;
}

/**
 * execbench linked in a drawn layout (bench/guest/workload-layout.ts) from the
 * objects buildWorkloads keeps: a compile of the padding and a static link,
 * about a tenth of a second, cached under the workloads' digest and the layout.
 */
export async function linkWorkloadLayout(w: Workloads, layout: WorkloadLayout, logDir: string): Promise<string> {
  const out = cachePath('workloads', `${w.digest}-layouts`, layoutName(layout));
  const execbench = join(out, 'execbench');
  const pads = [`TEXT_PAD=${layout.textPad}`, `RODATA_PAD=${layout.rodataPad}`, `DATA_PAD=${layout.dataPad}`, `BSS_PAD=${layout.bssPad}`];
  await withLock(`${out}.lock`, 'workload layout', () => buildVerified(out, [execbench], `execbench layout ${layoutName(layout)}`, (into) =>
    shell({ log: join(logDir, 'workloads.log') })(`linking execbench in layout ${layoutName(layout)}`)`make -C ${WORKLOADS_DIR} OUT=${w.objectDir} LAYOUT_OUT=${into} ${pads} ORDER=${layout.order.join(' ')} layout`));
  return execbench;
}

/**
 * The QEMU TCG plugin of profiling boots (profiler/), built once per source
 * digest; KRSI_BENCH_PROFILER_PLUGIN names another build of it instead.
 */
export async function buildProfiler(logDir: string): Promise<{ plugin: string; digest: string }> {
  const other = process.env.KRSI_BENCH_PROFILER_PLUGIN;
  if (other) {
    if (!existsSync(other)) throw new BenchError(`KRSI_BENCH_PROFILER_PLUGIN=${other}: no such file`, undefined, 2);
    return { plugin: other, digest: await fileDigest(other) };
  }
  const digest = await sourceDigest(PROFILER_DIR);
  const out = cachePath('tools', `profiler-${digest}`);
  const plugin = join(out, 'krsi_profile.so');
  await withLock(`${out}.lock`, 'profiler', () => buildVerified(out, [plugin], 'profiler', (into) =>
    shell({ log: join(logDir, 'profiler.log') })('building profiler/')`make -C ${PROFILER_DIR} OUT=${into}`));
  return { plugin, digest: await fileDigest(plugin) };
}

export interface BpfBuild {
  /** tool name -> its loader binary (the BPF object is embedded in it). */
  loaders: Record<string, string>;
  /** The generic loader for users' objects. */
  bpfAttach: string;
  /** User object name -> .bpf.o: compiled here from a .bpf.c, or the user's own object. */
  objects: Record<string, string>;
  /** Digest of bpf/ and the users' sources: what the objects depend on. */
  digest: string;
}

/**
 * The BPF tools and users' sources, compiled against a vmlinux.h generated from
 * the kernel's own BTF. CO-RE relocations make the objects portable, but
 * generating the header from the target kernel keeps the build honest about
 * what that kernel has.
 */
export async function buildBpf(tools: string[], user: BpfObject[], kernel: BuiltKernel, logDir: string): Promise<BpfBuild> {
  const sources = user.filter((u) => u.compile);
  // By name and text, not path: the same program checked out elsewhere (a CI workspace) is the same program.
  const userText = await Promise.all(sources.map(async (u) => `${u.name}\0${await readFile(u.path, 'utf8')}`));
  // A user's own compiled object is measured as it is: its bytes are part of what the run depends on.
  const prebuilt = await Promise.all(user.filter((u) => !u.compile).map(async (u) => `${u.name}\0${await fileDigest(u.path)}`));
  const buildDigest = sha256(await sourceDigest(BPF_DIR), ...userText).slice(0, 16);
  const digest = prebuilt.length ? sha256(buildDigest, ...prebuilt).slice(0, 16) : buildDigest;
  const out = cachePath('bpf', `${buildDigest}-${kernel.configHash}`);
  const build: BpfBuild = {
    loaders: Object.fromEntries(tools.map((t) => [t, join(out, t)])),
    bpfAttach: join(out, 'bpf_attach'),
    objects: Object.fromEntries(user.map((u) => [u.name, u.compile ? join(out, 'user', `${u.name}.bpf.o`) : u.path])),
    digest,
  };
  const outputs = [...Object.values(build.loaders), build.bpfAttach, ...sources.map((u) => build.objects[u.name]!)];
  const args = [`VMLINUX_BTF=${kernel.btf}`, `TOOLS=${tools.join(' ')}`, `USER_SOURCES=${sources.map((u) => u.path).join(' ')}`];
  // One manifest per set of outputs: runs that build different tools into one directory keep theirs.
  const manifest = `manifest-${sha256(...outputs.map((o) => relative(out, o))).slice(0, 12)}.json`;
  await withLock(`${out}.lock`, 'bpf tools', () => buildVerified(out, outputs, 'BPF tools', (into) =>
    shell({ log: join(logDir, 'bpf.log') })(`building BPF programs against kernel ${kernel.variant}`)`make -C ${BPF_DIR} OUT=${into} ${args}`, manifest));
  return build;
}
