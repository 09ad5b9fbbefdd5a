import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { objectsToRecompile } from '../kernels/objects.ts';
import { finishedSibling, kconfigOutputs, seedFrom } from '../kernels/seed.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const HOUR_AGO = new Date(Date.now() - 3600_000);

async function put(dir: string, files: Record<string, string>, when?: Date): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
    if (when) await utimes(join(dir, rel), when, when);
  }
}

/** What Kconfig leaves in a configured tree: .config, its outputs, and one marker per set option. */
function kconfigFiles(config: string, options: string[], autoConf = options.map((o) => `CONFIG_${o}=y`).join('\n') + '\n'): Record<string, string> {
  return {
    '.config': config,
    'include/config/auto.conf': autoConf,
    'include/config/auto.conf.cmd': 'deps_config := Kconfig\n',
    'include/generated/autoconf.h': options.map((o) => `#define CONFIG_${o} 1`).join('\n') + '\n',
    ...Object.fromEntries(options.map((o) => [`include/config/${o}`, ''])),
  };
}

const NOAUDIT = '# CONFIG_AUDIT is not set\nCONFIG_SMP=y\n';
const AUDIT = 'CONFIG_AUDIT=y\nCONFIG_SMP=y\n';

async function trees(own: Record<string, string>): Promise<{ seed: string; tree: string }> {
  const root = await mkdtemp(join(tmpdir(), 'krsi-seed-'));
  dirs.push(root);
  const seed = join(root, 'noaudit');
  const tree = join(root, 'audit');
  await put(seed, {
    ...kconfigFiles(NOAUDIT, ['SMP']),
    'vmlinux.o': '',
    'vmlinux': '',
    'kernel/fork.o': '',
    'kernel/.fork.o.cmd': 'source_kernel/fork.o := /src/kernel/fork.c\ndeps_kernel/fork.o := \\\n  $(wildcard include/config/AUDIT) \\\n  $(wildcard include/config/SMP) \\\n',
    'lib/string.o': '',
    'lib/.string.o.cmd': `savedcmd_lib/string.o := gcc -fdebug-prefix-map=/src=/krsi-bench/src -fdebug-prefix-map=${seed}=/krsi-bench/build -c -o lib/string.o /src/lib/string.c\nsource_lib/string.o := /src/lib/string.c\ndeps_lib/string.o := \\\n  $(wildcard include/config/SMP) \\\n`,
    'tools/objtool/.check.o.cmd': `cmd_${seed}/tools/objtool/check.o := gcc -Wp,-MD,${seed}/tools/objtool/.check.o.d -o ${seed}/tools/objtool/check.o\n`,
  }, HOUR_AGO);
  await put(tree, own);
  return { seed, tree };
}

test('seedFrom keeps the tree\'s own Kconfig outputs and touches the markers of the options that differ', async () => {
  const { seed, tree } = await trees(kconfigFiles(AUDIT, ['AUDIT', 'SMP']));
  await seedFrom(tree, seed, join(tree, '..', 'seed.log'));

  assert.equal(await readFile(join(tree, '.config'), 'utf8'), AUDIT);
  assert.match(await readFile(join(tree, 'include/config/auto.conf'), 'utf8'), /^CONFIG_AUDIT=y$/m);
  assert.match(await readFile(join(tree, 'include/generated/autoconf.h'), 'utf8'), /CONFIG_AUDIT 1/);
  const mtime = async (rel: string) => Math.round((await stat(join(tree, rel))).mtimeMs);
  // make re-runs syncconfig if .config is newer than auto.conf.
  assert.ok((await mtime('include/config/auto.conf')) >= (await mtime('.config')));
  // AUDIT changed: its marker is newer than the objects, so make compiles fork.o again; SMP's is as old as the seed's.
  assert.ok((await mtime('include/config/AUDIT')) > (await mtime('kernel/fork.o')));
  assert.equal(await mtime('include/config/SMP'), HOUR_AGO.getTime());
  assert.equal(await objectsToRecompile(tree, AUDIT), 1);

  const tools = await readFile(join(tree, 'tools/objtool/.check.o.cmd'), 'utf8');
  assert.ok(tools.startsWith(`cmd_${tree}/tools/objtool/check.o := gcc -Wp,-MD,${tree}/tools/objtool/.check.o.d -o ${tree}/tools/objtool/check.o`));
  assert.equal(await mtime('tools/objtool/.check.o.cmd'), HOUR_AGO.getTime());
  // Every compiler command maps the build directory in debug info: the copy's names this tree, or kbuild compiles it again.
  const string = await readFile(join(tree, 'lib/.string.o.cmd'), 'utf8');
  assert.ok(string.startsWith(`savedcmd_lib/string.o := gcc -fdebug-prefix-map=/src=/krsi-bench/src -fdebug-prefix-map=${tree}=/krsi-bench/build -c`), string);
  assert.ok(!string.includes(seed));
  assert.equal(await mtime('lib/.string.o.cmd'), HOUR_AGO.getTime());
});

test('seedFrom leaves the sync to make where the tree\'s Kconfig outputs do not match its .config', async () => {
  // auto.conf from an older config of this tree: it says nothing of AUDIT.
  const { seed, tree } = await trees(kconfigFiles(AUDIT, ['AUDIT', 'SMP'], 'CONFIG_SMP=y\n'));
  await seedFrom(tree, seed, join(tree, '..', 'seed.log'));
  assert.equal(await readFile(join(tree, '.config'), 'utf8'), AUDIT);
  // The sibling's auto.conf stays, older than .config: make's syncconfig touches AUDIT's marker.
  assert.equal(await readFile(join(tree, 'include/config/auto.conf'), 'utf8'), 'CONFIG_SMP=y\n');
  assert.ok((await stat(join(tree, 'include/config/auto.conf'))).mtimeMs < (await stat(join(tree, '.config'))).mtimeMs);
  // The count comes from the difference between .config and auto.conf.
  assert.equal(await objectsToRecompile(tree, AUDIT), 1);
});

test('kconfigOutputs: none for a tree whose auto.conf is missing, stale, or without markers named by option', async () => {
  const { tree } = await trees(kconfigFiles(AUDIT, ['AUDIT', 'SMP']));
  assert.ok(await kconfigOutputs(tree, AUDIT));
  assert.equal(await kconfigOutputs(tree, NOAUDIT), null);
  await rm(join(tree, 'include/config/AUDIT'));
  assert.equal(await kconfigOutputs(tree, AUDIT), null);
  await rm(join(tree, 'include/config/auto.conf'));
  assert.equal(await kconfigOutputs(tree, AUDIT), null);
});

test('seedFrom copies nothing into a tree that compiled before', async () => {
  const { seed, tree } = await trees({ ...kconfigFiles(AUDIT, ['AUDIT', 'SMP']), 'vmlinux.o': '' });
  await seedFrom(tree, seed, join(tree, '..', 'seed.log'));
  assert.ok(!existsSync(join(tree, 'kernel/fork.o')));
});

test('finishedSibling seeds from the finished tree whose config is closest, and skips unfinished ones', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'krsi-siblings-'));
  dirs.push(parent);
  const tree = (name: string, config: string, finished: boolean) => {
    const d = join(parent, name);
    mkdirSync(d);
    writeFileSync(join(d, '.config'), config);
    if (finished) writeFileSync(join(d, 'vmlinux'), '');
    return d;
  };
  const me = tree('me', 'CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\n', false);
  tree('far', 'CONFIG_A=y\n', true);
  const near = tree('near', 'CONFIG_A=y\nCONFIG_B=y\n', true);
  tree('same-but-unfinished', 'CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\n', false);
  assert.equal(await finishedSibling(me, []), near);
});
