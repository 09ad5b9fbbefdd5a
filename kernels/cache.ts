import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cachePath, sha256 } from '../lib/cache.ts';
import { checkManifest, writeManifest } from '../lib/manifest.ts';
import { formatDuration, printLine } from '../lib/progress.ts';
import { capture } from '../lib/run.ts';
import { shell } from '../lib/shell.ts';
import { DEBIAN_CONFIG_PIN } from './pins.ts';
import { BUILD_RECIPE, CONFIG_STEPS, toolchain } from './recipe.ts';
import type { KernelSource } from './source.ts';
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
  /** vmlinux with its symbols and code, without debug info: what profiles are symbolised with. */
  vmlinux: string;
  /** The merged .config. */
  config: string;
  sourceId: string;
  /** The suite's patches applied to the source (kernels/patches/). */
  patches: string[];
  /** First lines of `gcc --version`, `ld --version` and `pahole --version`: a kernel built with another toolchain is another kernel. */
  toolchain: string;
}

function artifactPaths(outDir: string): Pick<BuiltKernel, 'bzImage' | 'btf' | 'vmlinux' | 'config'> {
  return { bzImage: join(outDir, 'bzImage'), btf: join(outDir, 'vmlinux.btf'), vmlinux: join(outDir, 'vmlinux'), config: join(outDir, 'config') };
}

/** The files of a cached kernel that guests and BPF builds use; kernel.json's manifest vouches for them. */
const kernelFiles = (outDir: string) => Object.values(artifactPaths(outDir));

/** The build tree a variant of this source is compiled in (and its drawn links are made in, kernels/relink.ts). */
export const buildTreeDir = (sourceId: string, variant: string) => cachePath('build', sourceId, variant);

/** Where a kernel of this variant and config is cached. */
export const kernelDir = (variant: string, configHash: string) => cachePath('kernels', `${variant}-${configHash}`);

/** Where a kernel built from these inputs is recorded, so that a later run skips even the config steps. */
export async function inputsKey(variant: KernelVariant, src: KernelSource): Promise<string> {
  const fragments = await Promise.all(variant.fragments.map((f) => readFile(f, 'utf8')));
  // Debian's config is pinned by its digest (kernels/pins.ts): the pin stands for its text.
  const base = variant.base === 'debian-cloud-amd64' ? [JSON.stringify(DEBIAN_CONFIG_PIN)] : [];
  return cachePath('kernels', 'by-inputs', `${variant.name}-${sha256(src.id, BUILD_RECIPE, CONFIG_STEPS, await toolchain(), ...base, ...fragments).slice(0, 16)}`);
}

/** The kernel that these inputs built before, if it is still cached whole. */
export async function kernelByInputs(byInputs: string): Promise<BuiltKernel | null> {
  if (!existsSync(byInputs)) return null;
  return cachedKernel(cachePath('kernels', (await readFile(byInputs, 'utf8')).trim()));
}

/**
 * The kernel cached in outDir, if it was built with today's toolchain and its
 * files match their manifest; a damaged one is reported and built again (from
 * its build directory, usually just a link).
 */
export async function cachedKernel(outDir: string): Promise<BuiltKernel | null> {
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
  const problem = await checkManifest(outDir, kernelFiles(outDir));
  if (problem) {
    process.stderr.write(`kernel ${cached.variant}: ${problem}; building it again\n`);
    return null;
  }
  process.stderr.write(`kernel ${cached.variant}: ${cached.version} config ${cached.configHash} (cached)\n`);
  // The cache may have been moved or restored elsewhere (a CI cache): paths follow it.
  return { ...cached, ...artifactPaths(outDir) };
}

/** Records that these inputs gave the kernel in outDir. */
export async function recordInputs(byInputs: string, outDir: string): Promise<void> {
  await mkdir(dirname(byInputs), { recursive: true });
  await writeFile(byInputs, basename(outDir));
}

export interface LinkedKernel {
  variant: string;
  src: KernelSource;
  tree: string;
  buildDir: string;
  log: string;
  configHash: string;
  byInputs: string;
}

/** A linked kernel's files into the cache: written beside it, then renamed into place with their manifest. */
export async function storeKernel(k: LinkedKernel, linkStarted: number): Promise<BuiltKernel> {
  const outDir = kernelDir(k.variant, k.configHash);
  const version = (await capture('make', ['-s', '-C', k.tree, `O=${k.buildDir}`, 'kernelrelease'], 'make kernelrelease')).trim();
  const tmp = `${outDir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await copyFile(join(k.buildDir, 'arch/x86/boot/bzImage'), join(tmp, 'bzImage'));
  await copyFile(join(k.buildDir, '.config'), join(tmp, 'config'));
  // The .BTF section alone is all vmlinux.h generation needs; vmlinux itself is ~10x larger.
  await shell({ log: k.log })(`extracting BTF (${k.variant})`)`objcopy -O binary --only-section=.BTF ${join(k.buildDir, 'vmlinux')} ${join(tmp, 'vmlinux.btf')}`;
  // Debug info is six sevenths of vmlinux (70 MB here); symbols and code are what a profile needs.
  await shell({ log: k.log })(`keeping vmlinux's symbols (${k.variant})`)`objcopy --strip-debug ${join(k.buildDir, 'vmlinux')} ${join(tmp, 'vmlinux')}`;
  const kernel: BuiltKernel = {
    variant: k.variant, version, configHash: k.configHash, sourceId: k.src.id, patches: k.src.patches, toolchain: await toolchain(), ...artifactPaths(outDir),
  };
  await writeManifest(tmp, kernelFiles(tmp));
  await writeFile(join(tmp, 'kernel.json'), JSON.stringify(kernel, null, 2));
  // Its drawn links (kernels/relink.ts) come from the same objects and stay: a kernel rebuilt to bring
  // its tree back is the same kernel, byte for byte, and guests may be booting them.
  if (existsSync(join(outDir, 'layouts'))) await rename(join(outDir, 'layouts'), join(tmp, 'layouts'));
  await rm(outDir, { recursive: true, force: true });
  await rename(tmp, outDir);
  await recordInputs(k.byInputs, outDir);
  printLine(`kernel ${k.variant}: ${version} config ${k.configHash} built (linked in ${formatDuration(Date.now() - linkStarted)})`);
  return kernel;
}
