import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { configDiff, parseKconfig, type KconfigValues } from './config.ts';

const BOOT_CODE = join('arch', 'x86', 'boot');

/** auto.conf writes string values without the quotes .config has. */
function unquoted(values: KconfigValues): KconfigValues {
  return new Map([...values].map(([k, v]) => [k, v?.replace(/^"(.*)"$/, '$1') ?? null]));
}

/**
 * How many C objects of vmlinux the next `make vmlinux_o` compiles in a tree
 * whose objects were compiled before (for progress): kbuild's fixdep records
 * in each object's .cmd file the options it reads, as `include/config/NAME`,
 * and recompiles exactly the objects reading an option that changed since the
 * tree's last build, whose config is include/config/auto.conf. The boot
 * code's objects are left out: they are compiled with bzImage, after
 * vmlinux. null for a tree never compiled.
 */
export async function objectsToRecompile(buildDir: string, config: string): Promise<number | null> {
  const autoConf = join(buildDir, 'include/config/auto.conf');
  if (!existsSync(join(buildDir, 'vmlinux.o')) || !existsSync(autoConf)) return null;
  const changed = configDiff(unquoted(parseKconfig(await readFile(autoConf, 'utf8'))), unquoted(parseKconfig(config))).map((d) =>
    d.name.replace(/^CONFIG_/, ''),
  );
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
