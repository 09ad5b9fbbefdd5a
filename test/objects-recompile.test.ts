import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { objectsToRecompile } from '../kernels/objects.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A compiled tree as kbuild leaves it: auto.conf, vmlinux.o, and one .cmd file per object with its fixdep record. */
async function builtTree(autoConf: string, objects: Record<string, string[]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'krsi-objects-'));
  dirs.push(dir);
  await mkdir(join(dir, 'include/config'), { recursive: true });
  await writeFile(join(dir, 'include/config/auto.conf'), autoConf);
  await writeFile(join(dir, 'vmlinux.o'), '');
  for (const [obj, options] of Object.entries(objects)) {
    const [sub, file] = [obj.slice(0, obj.lastIndexOf('/')), obj.slice(obj.lastIndexOf('/') + 1)];
    await mkdir(join(dir, sub), { recursive: true });
    const src = obj.replace(/\.o$/, obj.endsWith('entry.o') ? '.S' : '.c');
    const deps = options.map((o) => `  $(wildcard include/config/${o}) \\`).join('\n');
    await writeFile(join(dir, sub, `.${file}.cmd`), `savedcmd_${obj} := gcc -c -o ${obj} /src/${src}\n\nsource_${obj} := /src/${src}\n\ndeps_${obj} := \\\n${deps}\n  include/linux/kconfig.h \\\n`);
  }
  return dir;
}

const objects = {
  'kernel/fork.o': ['AUDIT', 'AUDITSYSCALL', 'SMP'],
  'kernel/auditsc.o': ['AUDITSYSCALL'],
  'mm/slub.o': ['SLUB_DEBUG'],
  'lib/string.o': [],
  'arch/x86/entry/entry.o': ['AUDIT'],
  'arch/x86/boot/compressed/misc.o': ['AUDIT'],
};

test('objectsToRecompile counts the C objects that read an option that changed', async () => {
  const dir = await builtTree('CONFIG_AUDIT=y\nCONFIG_AUDITSYSCALL=y\nCONFIG_LSM=bpf\n', objects);
  assert.equal(await objectsToRecompile(dir, '# CONFIG_AUDIT is not set\n# CONFIG_AUDITSYSCALL is not set\nCONFIG_LSM="bpf"\n'), 2);
  assert.equal(await objectsToRecompile(dir, 'CONFIG_AUDIT=y\nCONFIG_AUDITSYSCALL=y\nCONFIG_LSM="bpf"\nCONFIG_SLUB_DEBUG=y\n'), 1);
});

test('objectsToRecompile: nothing for the same config, even though auto.conf drops the quotes', async () => {
  const dir = await builtTree('CONFIG_AUDIT=y\nCONFIG_LSM=bpf\n', objects);
  assert.equal(await objectsToRecompile(dir, 'CONFIG_AUDIT=y\nCONFIG_LSM="bpf"\n# CONFIG_SMP is not set\n'), 0);
  assert.equal(await objectsToRecompile(dir, 'CONFIG_AUDIT=y\nCONFIG_LSM="bpf,landlock"\n'), 0);
});

test('objectsToRecompile: null for a tree never compiled', async () => {
  const dir = await builtTree('CONFIG_AUDIT=y\n', objects);
  await rm(join(dir, 'vmlinux.o'));
  assert.equal(await objectsToRecompile(dir, 'CONFIG_AUDIT=y\n'), null);
});
