import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { execa } from 'execa';
import { BenchError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { checkManifest, writeManifest } from '../lib/manifest.ts';
import { formatDuration, printLine } from '../lib/progress.ts';
import { runLogged } from '../lib/run.ts';
import { shell } from '../lib/shell.ts';
import { buildTreeDir, kernelDir, type BuiltKernel } from './cache.ts';
import { hugePageBuildEnv } from './hugepages.ts';
import { drawKernelLayout, kernelLayoutName, layoutLinkerScript, relocatableLayoutScript, type KernelLayout } from './layout.ts';
import { kernelFlags, REPRODUCIBLE_BUILD } from './recipe.ts';
import { compiledFor, markCompiled } from './tree-state.ts';

/**
 * A kernel linked in one of its drawn layouts: the image guests boot. Its
 * vmlinux is not kept (profiling runs boot the build's own link, whose
 * vmlinux the cache keeps); the draw is reproducible from the build tree.
 */
export interface LaidOutKernel {
  bzImage: string;
  layout: KernelLayout;
}

/** Changes when the way a layout is linked changes, so that links made the old way are not reused. */
export const LAYOUT_RECIPE = 'shuffled .text of vmlinux.a and its libraries after a padding, in vmlinux.o where the final link starts from it; linked without debug info, the build\'s BTF, v2';

/** The archives kbuild links vmlinux from (link-vmlinux.sh: vmlinux.a, then KBUILD_VMLINUX_LIBS). */
const ARCHIVES = ['vmlinux.a', 'lib/lib.a', 'arch/x86/lib/lib.a'];

/** Where kbuild's linker script is generated; the layout's is written beside the build's objects. */
const BUILD_LDS = 'arch/x86/kernel/vmlinux.lds';
const LAYOUT_LDS = 'krsi-layout.lds';

/** Where the link's tool wrappers are written, beside the build's objects. */
const LINK_TOOLS = 'krsi-link-tools';

/**
 * Tools that make a draw's link about twice as fast as kbuild's own, for the
 * same image. Debug info is what makes vmlinux's links slow (vmlinux.o is
 * 232 MB with it, most of it DWARF and its relocations), and kbuild links it
 * only to derive BTF from it with pahole. A draw moves code, not types: its
 * DWARF lists the same compile units in the same order (only `.text` is
 * reordered), so pahole would derive the build's BTF again. So `ld` strips
 * debug info as it links and `pahole -J` puts the build's BTF where pahole
 * would have put its own. Measured on the noaudit kernel: 16.6 s against
 * 30.4 s, and the decompressed kernel equal to kbuild's link of the same draw
 * but for the 20 bytes of the GNU build ID, which hashes the debug info too.
 * They are found first on PATH, as kbuild calls both by name (LD=ld,
 * PAHOLE=pahole); setting LD or PAHOLE instead would change what Kconfig
 * recorded and make kbuild reconfigure the tree.
 */
async function linkTools(buildDir: string): Promise<string> {
  const which = async (tool: string) => {
    const r = await execa('sh', ['-c', `command -v ${tool}`], { stdin: 'ignore', reject: false });
    if (r.failed || !String(r.stdout).trim()) throw new BenchError(`${tool} is not installed (the kernel's link needs it); run npm run setup`);
    return String(r.stdout).trim();
  };
  const [ld, pahole, objcopy] = [await which('ld'), await which('pahole'), await which('objcopy')];
  const dir = join(buildDir, LINK_TOOLS);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ld'), `#!/bin/sh\nexec ${ld} --strip-debug "$@"\n`, { mode: 0o755 });
  // link-vmlinux.sh: pahole -J <flags> .tmp_vmlinux1, which then gives its .BTF section to the final link
  await writeFile(join(dir, 'pahole'), [
    '#!/bin/sh',
    'for a; do last=$a; done',
    `case " $* " in *" -J "*) exec ${objcopy} --add-section .BTF="$KRSI_BUILD_BTF" "$last";; esac`,
    `exec ${pahole} "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  return dir;
}

/**
 * How make is started for a draw's link. In a tree whose compile for this
 * config finished (kernels/tree-state.ts), the archives and linker scripts
 * are up to date, and make is told to take them as built (-o) instead of
 * walking the tree's thousand objects and prepare steps to find so (5-6 s
 * of a 16 s link; the image is the same byte for byte). make honours -o
 * only in the make that reads the top Makefile, so it runs in the build
 * tree itself, where the generated Makefile includes the source's, and with
 * --no-print-directory: kbuild otherwise starts a second make, and -o is not
 * passed down. In any other tree make walks it, compiling what is stale.
 */
export function linkMake(tree: string, buildDir: string, compiled: boolean): string[] {
  if (!compiled) return ['-C', tree, `O=${buildDir}`];
  return ['-C', buildDir, '--no-print-directory', ...[...ARCHIVES, BUILD_LDS, LAYOUT_LDS].flatMap((f) => ['-o', f])];
}

/** Thrown when the kernel's build tree is gone or was rebuilt for another config: the caller compiles it again. */
export class BuildTreeGone extends BenchError {}

/**
 * The archives' members as ld names them in a linker script
 * (`archive:member`): kbuild's archives are thin, and ld names a member by
 * its path from the directory it links in. ar prints them as it finds them,
 * so it runs there too.
 */
async function archiveMembers(buildDir: string): Promise<string[]> {
  const members: string[] = [];
  for (const a of ARCHIVES) {
    if (!existsSync(join(buildDir, a))) continue;
    const r = await execa('ar', ['t', a], { cwd: buildDir, stdin: 'ignore', reject: false });
    if (r.failed) throw new BenchError(`listing ${join(buildDir, a)} failed: ${String(r.stderr).split('\n')[0]}`);
    const listed = String(r.stdout).split('\n').filter(Boolean);
    members.push(...listed.map((m) => (isAbsolute(m) ? relative(buildDir, m) : m)));
  }
  return members;
}

/**
 * How a kernel's link takes the drawn layout. Where the final link starts
 * from the archives, kbuild's own linker script with the main text drawn
 * (KBUILD_LDS). Where it starts from vmlinux.o (IBT: link-vmlinux.sh), the
 * objects' text is already one section there, so the relocatable link of
 * vmlinux.o takes a script of its own, through the
 * variable kbuild's LTO build passes its initcall script in (initcalls-lds,
 * scripts/Makefile.vmlinux_o; kbuild sees the new command and links vmlinux.o
 * again, and again without it for the tree's own link).
 */
async function layoutMakeArgs(buildDir: string, config: string, textPad: number, order: string[]): Promise<string[]> {
  // Clang's LTO passes its own initcall script there; the suite builds with gcc and draws no link of such a kernel.
  if (/^CONFIG_LTO_CLANG=y$/m.test(config)) throw new BenchError('a kernel built with Clang LTO cannot be linked in drawn layouts; use --layout fixed', undefined, 2);
  if (/^CONFIG_X86_KERNEL_IBT=y$/m.test(config)) {
    await writeFile(join(buildDir, LAYOUT_LDS), relocatableLayoutScript(textPad, order));
    return [`initcalls-lds=${LAYOUT_LDS}`];
  }
  await writeFile(join(buildDir, LAYOUT_LDS), layoutLinkerScript(await readFile(join(buildDir, BUILD_LDS), 'utf8'), textPad, order));
  return [`KBUILD_LDS=${LAYOUT_LDS}`];
}

/**
 * The kernel linked in draw `draw` of its layout (kernels/layout.ts), from
 * the cache or linked now in its build tree: kbuild's own link (vmlinux three
 * times over for kallsyms and BTF, then bzImage) with the drawn linker
 * script and the tools above, about 11 s. The tree's own link is left to be made again:
 * its linker script is touched, so the next build of the tree relinks it.
 */
export async function linkKernelLayout(kernel: BuiltKernel, tree: string, draw: number, opts: { jobs: number; log: string; signal?: AbortSignal }): Promise<LaidOutKernel> {
  const cached = await cachedKernelLayout(kernel, draw);
  if (cached) return cached;
  const out = layoutDir(kernel, draw);
  const bzImage = join(out, 'bzImage');
  const buildDir = buildTreeDir(kernel.sourceId, kernel.variant);
  return withLock(`${buildDir}.lock`, `kernel ${kernel.variant}`, async () => {
    const again = await cachedLayout(out, bzImage);
    if (again) return { bzImage, layout: again };
    const config = await readFile(kernel.config, 'utf8');
    const treeConfig = existsSync(join(buildDir, '.config')) ? await readFile(join(buildDir, '.config'), 'utf8') : null;
    if (treeConfig !== config || !existsSync(join(buildDir, 'vmlinux.a'))) {
      throw new BuildTreeGone(`kernel ${kernel.variant}: its build tree ${buildDir} is gone or holds another config`, opts.log);
    }
    const { layout, order } = drawKernelLayout(draw, await archiveMembers(buildDir));
    const started = Date.now();
    printLine(`kernel ${kernel.variant}: linking layout ${kernelLayoutName(layout)}`);
    const tmp = `${out}.tmp`;
    try {
      const layoutArgs = await layoutMakeArgs(buildDir, config, layout.textPad, order);
      const tools = await linkTools(buildDir);
      const env = {
        ...REPRODUCIBLE_BUILD, ...(await hugePageBuildEnv(opts.log)), ...kernelFlags(tree, buildDir),
        PATH: `${tools}:${process.env.PATH ?? ''}`, KRSI_BUILD_BTF: kernel.btf,
      };
      const compiled = await compiledFor(buildDir, kernel.configHash);
      await runLogged('make', [...linkMake(tree, buildDir, compiled), `-j${opts.jobs}`, ...layoutArgs, 'bzImage'], {
        what: `kernel ${kernel.variant} layout ${kernelLayoutName(layout)} link`, log: opts.log, env, ...(opts.signal && { signal: opts.signal }),
      });
      // make's walk compiled whatever was stale: the tree is now this config's, whole.
      if (!compiled) await markCompiled(buildDir, kernel.configHash);
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      const sh = shell({ log: opts.log });
      await sh(`copying layout ${kernelLayoutName(layout)} (${kernel.variant})`)`cp ${join(buildDir, 'arch/x86/boot/bzImage')} ${join(tmp, 'bzImage')}`;
      await writeFile(join(tmp, 'layout.json'), `${JSON.stringify({ recipe: LAYOUT_RECIPE, layout }, null, 2)}\n`);
      await writeManifest(tmp, [join(tmp, 'bzImage'), join(tmp, 'layout.json')]);
      await rm(out, { recursive: true, force: true });
      await rename(tmp, out);
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await rm(join(buildDir, LAYOUT_LDS), { force: true });
      await rm(join(buildDir, LINK_TOOLS), { recursive: true, force: true });
      // vmlinux now holds the draw's link; a linker script newer than it makes kbuild link the tree's own again.
      const now = new Date();
      if (existsSync(join(buildDir, BUILD_LDS))) await utimes(join(buildDir, BUILD_LDS), now, now);
    }
    printLine(`kernel ${kernel.variant}: layout ${kernelLayoutName(layout)} linked in ${formatDuration(Date.now() - started)}`);
    return { bzImage, layout };
  });
}

const layoutDir = (kernel: BuiltKernel, draw: number) => join(kernelDir(kernel.variant, kernel.configHash), 'layouts', `d${draw}`);

/**
 * Draw `draw` of the kernel from the cache, or null where it is to be linked:
 * needs neither the source tree nor the build tree, so a caller can look
 * before it takes their locks.
 */
export async function cachedKernelLayout(kernel: BuiltKernel, draw: number): Promise<LaidOutKernel | null> {
  const out = layoutDir(kernel, draw);
  const bzImage = join(out, 'bzImage');
  const layout = await cachedLayout(out, bzImage);
  return layout ? { bzImage, layout } : null;
}

/** A draw's link from the cache, if its manifest vouches for it and it was made the current way. */
async function cachedLayout(out: string, bzImage: string): Promise<KernelLayout | null> {
  const meta = join(out, 'layout.json');
  if ((await checkManifest(out, [bzImage, meta])) !== null) return null;
  try {
    const { recipe, layout } = JSON.parse(await readFile(meta, 'utf8')) as { recipe: string; layout: KernelLayout };
    return recipe === LAYOUT_RECIPE ? layout : null;
  } catch {
    return null;
  }
}
