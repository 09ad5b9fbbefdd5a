import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePath, sha256 } from '../lib/cache.ts';
import { buildTreeDir } from './cache.ts';
import { BenchError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { shell } from '../lib/shell.ts';
import { configIdentity, droppedOptions, parseKconfig } from './kconfig.ts';
import { BUILD_RECIPE, REPRODUCIBLE_BUILD } from './recipe.ts';
import { debianCloudConfig } from './debian-config.ts';
import { sourceTree, type KernelSource } from './source.ts';
import type { KernelVariant } from './variants.ts';

/** The first half of tinyconfig, shared by every variant of a source. */
export interface Allnoconfig {
  config: string;
  /** tinyconfig's own fragments, merged before the variant's. */
  tiny: string[];
  /** The build directory's scripts/, holding the compiled Kconfig tool. */
  kconfigTool: string;
}

/** A variant's build directory with its merged .config in place. */
export interface Configured {
  /** sha256 of the source id, the build recipe and the config's set options: the kernel's cache key. */
  configHash: string;
  configText: string;
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
export async function allnoconfig(src: KernelSource, tree: string, log: string, signal?: AbortSignal): Promise<Allnoconfig> {
  // Variant names start with a letter or digit, so this cannot be a variant's build directory.
  const dir = cachePath('build', src.id, '_allnoconfig');
  return withLock(`${dir}.lock`, 'kernel allnoconfig', async () => {
    await mkdir(dir, { recursive: true });
    const tinyBase = join(tree, 'kernel/configs/tiny-base.config');
    const sh = shell({ log, signal, env: existsSync(tinyBase) ? { KCONFIG_ALLCONFIG: tinyBase } : {} });
    await sh('kernel config: make allnoconfig')`make -C ${tree} O=${dir} allnoconfig`;
    const tiny = ['kernel/configs/tiny.config', 'arch/x86/configs/tiny.config'].map((f) => join(tree, f)).filter((f) => existsSync(f));
    return { config: await readFile(join(dir, '.config'), 'utf8'), tiny, kconfigTool: join(dir, 'scripts') };
  });
}

/** allnoconfig, then tinyconfig's fragments and the variant's, then olddefconfig, then a check that every requested option is there. */
export async function configure(
  variant: KernelVariant, src: KernelSource, tree: string, buildDir: string, log: string, base: () => Promise<Allnoconfig>, signal?: AbortSignal,
): Promise<Configured> {
  await mkdir(buildDir, { recursive: true });
  const sh = shell({ log, signal, cwd: tree, env: REPRODUCIBLE_BUILD });
  const step = (what: string) => sh(`kernel config (${variant.name}): ${what}`);

  const dotConfig = join(buildDir, '.config');
  if (variant.base === 'debian-cloud-amd64') {
    // Debian's whole config instead of tinyconfig: no allnoconfig, and Kconfig's tool is built here.
    process.stderr.write(`kernel ${variant.name}: configuring (Debian's cloud-amd64 config without modules, fragments, olddefconfig)\n`);
    await writeFile(dotConfig, await readFile(await debianCloudConfig(log, signal), 'utf8'));
    await step('merging fragments')`scripts/kconfig/merge_config.sh -m -O ${buildDir} ${dotConfig} ${variant.fragments}`;
  } else {
    process.stderr.write(`kernel ${variant.name}: configuring (tinyconfig and fragments, olddefconfig)\n`);
    const { config, tiny, kconfigTool } = await base();
    await writeFile(dotConfig, config);
    await step('copying the Kconfig tool')`cp -a ${kconfigTool} ${buildDir}`;
    await step('merging fragments')`scripts/kconfig/merge_config.sh -m -O ${buildDir} ${dotConfig} ${tiny} ${variant.fragments}`;
  }
  await step('make olddefconfig')`make -C ${tree} O=${buildDir} olddefconfig`;

  const configText = await readFile(dotConfig, 'utf8');
  const requested = parseKconfig((await Promise.all(variant.fragments.map((f) => readFile(f, 'utf8')))).join('\n'));
  const dropped = droppedOptions(requested, parseKconfig(configText));
  if (dropped.length > 0) {
    throw new BenchError(`kernel config (${variant.name}): ${dropped.join('; ')} after olddefconfig (unmet dependency?)`, log);
  }
  return { configHash: sha256(src.id, BUILD_RECIPE, configIdentity(configText)).slice(0, 16), configText };
}

/** The config hash a variant's kernel gets (its cache key), without building it. */
export async function kernelConfigHash(variant: KernelVariant, src: KernelSource, logDir: string): Promise<string> {
  const log = join(logDir, `kernel-${variant.name}.log`);
  const tree = await withLock(cachePath('src', `${src.id}.lock`), 'kernel source', () => sourceTree(src, log));
  const buildDir = buildTreeDir(src.id, variant.name);
  const base = () => allnoconfig(src, tree, join(logDir, 'kernel-allnoconfig.log'));
  return withLock(`${buildDir}.lock`, `kernel ${variant.name}`, async () => (await configure(variant, src, tree, buildDir, log, base)).configHash);
}
