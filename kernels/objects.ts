import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { changedOptionNames } from './kconfig.ts';

const BOOT_CODE = join('arch', 'x86', 'boot');

/**
 * The options whose value changed since a compiled tree's last build: those
 * its .config gives differently from include/config/auto.conf (make's
 * syncconfig will touch their markers), and those whose marker,
 * include/config/NAME, was touched after vmlinux.o was linked (a seeded tree,
 * see seed.ts).
 */
async function changedOptions(buildDir: string, config: string): Promise<string[]> {
  const changed = new Set(changedOptionNames(await readFile(join(buildDir, 'include/config/auto.conf'), 'utf8'), config));
  const linked = (await stat(join(buildDir, 'vmlinux.o'))).mtimeMs;
  const markers = join(buildDir, 'include/config');
  for (const name of await readdir(markers)) {
    if (/^[A-Z0-9_]+$/.test(name) && (await stat(join(markers, name))).mtimeMs > linked) changed.add(name);
  }
  return [...changed];
}

/**
 * How many C objects of vmlinux the next `make vmlinux_o` compiles in a tree
 * whose objects were compiled before (for progress): kbuild's fixdep records
 * in each object's .cmd file the options it reads, as `include/config/NAME`,
 * and recompiles exactly the objects reading an option that changed since the
 * tree's last build. The boot code's objects are left out: they are compiled
 * with bzImage, after vmlinux. null for a tree never compiled.
 */
export async function objectsToRecompile(buildDir: string, config: string): Promise<number | null> {
  if (!existsSync(join(buildDir, 'vmlinux.o')) || !existsSync(join(buildDir, 'include/config/auto.conf'))) return null;
  const changed = await changedOptions(buildDir, config);
  if (changed.length === 0) return 0;
  const reads = new RegExp(`include/config/(${changed.join('|')})\\)`);

  let count = 0;
  const entries = await readdir(buildDir, { recursive: true });
  for (const entry of entries) {
    const name = basename(entry);
    if (!name.startsWith('.') || !name.endsWith('.o.cmd') || entry.startsWith(BOOT_CODE)) continue;
    const text = await readFile(join(buildDir, entry), 'utf8');
    if (/^source_\S+ := \S+\.c$/m.test(text) && reads.test(text)) count++;
  }
  return count;
}
