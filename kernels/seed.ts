import { existsSync } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isLocked } from '../lib/lock.ts';
import { shell } from '../lib/shell.ts';
import { changedOptionNames, parseKconfig } from './kconfig.ts';

/**
 * What Kconfig writes for the build itself (make's syncconfig): the config
 * that objects are compiled against, and the files make checks to know
 * whether .config changed since. The first three are needed; rustc_cfg is
 * written by kernels that know Rust.
 */
const KCONFIG_OUTPUTS = ['include/config/auto.conf', 'include/config/auto.conf.cmd', 'include/generated/autoconf.h', 'include/generated/rustc_cfg'];
const REQUIRED_OUTPUTS = 3;

/**
 * A tree's Kconfig outputs, if they describe its .config: the configure step's
 * olddefconfig writes them in a tree that has none. null where they are
 * missing or stale, or where Kconfig's marker for an option is not
 * include/config/NAME (kernels before 5.13 named them differently).
 */
export async function kconfigOutputs(buildDir: string, config: string): Promise<Map<string, Buffer> | null> {
  const outputs = new Map<string, Buffer>();
  for (const [i, rel] of KCONFIG_OUTPUTS.entries()) {
    const path = join(buildDir, rel);
    if (!existsSync(path)) {
      if (i < REQUIRED_OUTPUTS) return null;
      continue;
    }
    outputs.set(rel, await readFile(path));
  }
  const autoConf = outputs.get(KCONFIG_OUTPUTS[0]!)!.toString('utf8');
  if (changedOptionNames(autoConf, config).length > 0) return null;
  const first = [...parseKconfig(autoConf).keys()][0];
  if (!first || !existsSync(join(buildDir, 'include/config', first.replace(/^CONFIG_/, '')))) return null;
  return outputs;
}

/**
 * Before a variant's first build, copies in the objects of a sibling variant
 * built from the same source, keeping this variant's config. Kbuild records
 * which options each object reads (fixdep: a dependency on
 * include/config/NAME), so only the objects that read an option that differs
 * are compiled again. Between audit and noaudit that is still most of them
 * (task_struct's layout depends on CONFIG_AUDIT): measured, 880 of the audit
 * kernel's 1004 objects for noaudit (2026-12-03).
 *
 * Left to itself, make would see a .config newer than the copied auto.conf
 * and run syncconfig: a whole Kconfig run (9 s alone, 20 s beside a link)
 * whose only news is which options changed. This tree's own Kconfig outputs,
 * written when it was configured, are put back instead, and the marker of
 * each option that differs from the sibling's is touched, as syncconfig
 * does. Where this tree's outputs are not up to date, make's syncconfig runs.
 */
export async function seedFrom(buildDir: string, seed: string | undefined, log: string): Promise<void> {
  // A tree that compiled before keeps its objects, also when its link failed.
  if (!seed || existsSync(join(buildDir, 'vmlinux.o'))) return;
  const config = await readFile(join(buildDir, '.config'), 'utf8');
  const own = await kconfigOutputs(buildDir, config);
  await shell({ log })(`copying the objects of ${seed}`)`cp -a ${seed}/. ${buildDir}`;
  await adoptCommands(buildDir, seed);
  await writeFile(join(buildDir, '.config'), config);
  if (!own) return;
  const autoConf = join(buildDir, KCONFIG_OUTPUTS[0]!);
  const seedAutoConf = existsSync(autoConf) ? await readFile(autoConf, 'utf8') : '';
  // Written after .config, so that make finds them up to date.
  for (const [rel, data] of own) await writeFile(join(buildDir, rel), data);
  const ownAutoConf = own.get(KCONFIG_OUTPUTS[0]!)!.toString('utf8');
  const now = new Date();
  for (const name of changedOptionNames(seedAutoConf, ownAutoConf)) {
    const marker = join(buildDir, 'include/config', name);
    if (existsSync(marker)) await utimes(marker, now, now);
    else await writeFile(marker, '');
  }
}

/**
 * Kbuild records each object's command (its .cmd file) and compiles again
 * when the command changes. Two places name the build directory: the
 * commands of the host tools under tools/ (objtool, resolve_btfids and their
 * libraries, which take absolute paths), and every compiler command's map of
 * the build directory in debug info (kernels/recipe.ts DEBUG_PATHS). The
 * copies' records are made to name this directory instead, so that only the
 * objects that read a changed option are compiled again.
 */
async function adoptCommands(buildDir: string, seed: string): Promise<void> {
  const named = new RegExp(`${seed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/=])`, 'g');
  for (const entry of await readdir(buildDir, { recursive: true })) {
    const name = basename(entry);
    if (!name.startsWith('.') || !name.endsWith('.cmd')) continue;
    const path = join(buildDir, entry);
    const text = await readFile(path, 'utf8');
    if (!text.includes(seed)) continue;
    const { atime, mtime } = await stat(path);
    await writeFile(path, text.replace(named, buildDir));
    await utimes(path, atime, mtime);
  }
}

/**
 * A finished build of another variant of this source, to seed the first
 * variant this run compiles: of those, the one whose .config differs from
 * this tree's in the fewest options, since kbuild recompiles the objects
 * that read a changed option.
 */
export async function finishedSibling(buildDir: string, ours: string[]): Promise<string | undefined> {
  const parent = dirname(buildDir);
  const siblings = (await readdir(parent)).map((s) => join(parent, s)).filter((d) => d !== buildDir && existsSync(join(d, 'vmlinux')));
  const own = existsSync(join(buildDir, '.config')) ? await readFile(join(buildDir, '.config'), 'utf8') : '';
  let best: { dir: string; changed: number } | undefined;
  for (const d of siblings) {
    // One that another run holds may be half-built; ours are idle until this run compiles them. A lock
    // file stays after its holder ends, so what counts is whether it is held now.
    if (!ours.includes(d) && (await isLocked(`${d}.lock`))) continue;
    const changed = changedOptionNames(own, await readFile(join(d, '.config'), 'utf8').catch(() => '')).length;
    if (!best || changed < best.changed) best = { dir: d, changed };
  }
  return best?.dir;
}
