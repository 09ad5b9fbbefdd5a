import { capture } from '../lib/run.ts';
import { once } from '../lib/once.ts';

/**
 * Added to every kernel object's compiler flags (kbuild's KCFLAGS). The BPF
 * side needs only BTF from the debug info, and pahole makes BTF from DWARF's
 * types alone, so gcc's tracking of variable locations, statement markers and
 * macro expansions (for diagnostics) is work nobody reads: without it cc1 runs
 * about 14 % fewer instructions (callgrind, fs/exec.c). Objects keep the same
 * code and data, only their .debug_* sections shrink; the one other byte that
 * moves in vmlinux is the vDSO's build-id, a hash that covers its debug info.
 */
export const KERNEL_CFLAGS = '-fno-var-tracking -gno-statement-frontiers -ftrack-macro-expansion=0';

/**
 * The source tree's and the build directory's paths, as debug info records
 * them: the same on every machine and for every variant. Without this the
 * vDSO's build ID (a hash over its debug info, which names the directories
 * it was compiled in) differed between two builds of one config in other
 * directories; the compressed kernel then differed in length by a byte, and
 * the decompressor hashes that length into KASLR's seed, so that every boot
 * drew another layout (measured: a cold build's audit-execve +85.05 % against
 * +84.96 % from the same seeds). Assembler files get the same map (KAFLAGS).
 */
export const DEBUG_PATHS = { src: '/krsi-bench/src', build: '/krsi-bench/build' } as const;

export function debugPrefixMaps(tree: string, buildDir: string): string {
  return `-fdebug-prefix-map=${tree}=${DEBUG_PATHS.src} -fdebug-prefix-map=${buildDir}=${DEBUG_PATHS.build}`;
}

/** kbuild's KCFLAGS and KAFLAGS for a variant built out of tree in buildDir. */
export function kernelFlags(tree: string, buildDir: string): { KCFLAGS: string; KAFLAGS: string } {
  const maps = debugPrefixMaps(tree, buildDir);
  return { KCFLAGS: `${KERNEL_CFLAGS} ${maps}`, KAFLAGS: maps };
}

/** Changes when the way a kernel is built changes, so that cached kernels built the old way are not reused. */
export const BUILD_RECIPE = `tinyconfig+fragments, reproducible stamps, KCFLAGS=${KERNEL_CFLAGS}, debug paths ${DEBUG_PATHS.src} ${DEBUG_PATHS.build}, v4`;

/**
 * Changes when the steps that make a .config change. Only the record of which
 * config a variant's inputs gave (kernels/by-inputs) depends on it: a kernel
 * is cached under its config's hash, so steps that give the same config find
 * the same kernel.
 */
export const CONFIG_STEPS = 'allnoconfig, then tiny.config and the fragments in one olddefconfig';

/** Fixed build stamps, so that one source and config give the same kernel image on every machine. */
export const REPRODUCIBLE_BUILD = {
  KBUILD_BUILD_TIMESTAMP: 'Tue Aug 20 00:00:00 UTC 2019',
  KBUILD_BUILD_USER: 'krsi-bench',
  KBUILD_BUILD_HOST: 'krsi-bench',
  KBUILD_BUILD_VERSION: '1',
};

/** First lines of `gcc --version`, `ld --version` and `pahole --version`: a kernel built with another toolchain is another kernel. */
export const toolchain = once(async () => {
  const first = async (cmd: string) => (await capture(cmd, ['--version'], `${cmd} --version`)).split('\n')[0]!.trim();
  return (await Promise.all(['gcc', 'ld', 'pahole'].map(first))).join('; ');
});
