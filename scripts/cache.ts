#!/usr/bin/env tsx
// npm run cache -- list | clean [--unused]: what the cache holds, and removing it.
import '../lib/last-resort.ts';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cachePath, cacheRoot, sha256 } from '../lib/cache.ts';
import { errorLine, usageError, BenchError } from '../lib/errors.ts';
import { BPF_DIR, sourceDigest, WORKLOADS_DIR } from '../bench/guest/tools.ts';
import { inputsKey } from '../kernels/build.ts';
import { cachedTarball } from '../kernels/debian-source.ts';
import { DEFAULT_KERNEL_SOURCE, PINNED_SOURCES, pinOf } from '../kernels/pins.ts';
import { pinnedSource } from '../kernels/source.ts';
import { BUILTIN_VARIANTS } from '../kernels/variants.ts';
import { isLocked } from '../lib/lock.ts';
import { runEnded } from '../bench/store.ts';

const HELP = `usage: npm run cache -- list
       npm run cache -- clean [--unused]

The cache (${cacheRoot()}; KRSI_BENCH_CACHE moves it) holds kernel sources,
build trees, built kernels, guest tools, BPF builds and initramfs archives.

  list             each part, its entries and their size
  clean            remove all of it (the next run builds everything again)
  clean --unused   remove what the current recipe does not use: kernels, build
                   trees, sources, workloads and BPF builds of other inputs,
                   every initramfs archive (remade in seconds), and temporary
                   files of runs that have ended. Kernels of matrices' own
                   variants count as unused.
`;

/** Disk used under path; hard links (build trees are seeded with them) count once. */
async function size(path: string, seen = new Set<string>()): Promise<number> {
  const s = await lstat(path).catch(() => null);
  if (!s) return 0;
  const inode = `${s.dev}:${s.ino}`;
  if (seen.has(inode)) return 0;
  seen.add(inode);
  if (!s.isDirectory()) return s.blocks * 512;
  let total = 0;
  for (const e of await readdir(path)) total += await size(join(path, e), seen);
  return total;
}

const human = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

async function list(): Promise<string> {
  const root = cacheRoot();
  if (!existsSync(root)) return `${root}: empty (nothing cached yet)\n`;
  const lines = [`${root}:`];
  let total = 0;
  const seen = new Set<string>();
  for (const part of (await readdir(root)).sort()) {
    const path = join(root, part);
    const bytes = await size(path, seen);
    total += bytes;
    const entries = (await stat(path)).isDirectory() ? (await readdir(path)).filter((e) => !e.endsWith('.lock')) : [];
    lines.push(`  ${part.padEnd(12)} ${human(bytes).padStart(10)}  ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${entries.length ? `: ${entries.slice(0, 4).join(', ')}${entries.length > 4 ? ', ...' : ''}` : ''}`);
  }
  lines.push(`  ${'total'.padEnd(12)} ${human(total).padStart(10)}`);
  return `${lines.join('\n')}\n`;
}

/** Cache entries (paths) that the current recipe uses: the built-in kernels of the default source and their tools. */
async function inUse(): Promise<Set<string>> {
  const keep = new Set<string>();
  const src = await pinnedSource(pinOf(DEFAULT_KERNEL_SOURCE)!);
  const hashes: string[] = [];
  for (const pin of PINNED_SOURCES) keep.add(cachedTarball(pin));
  {
    for (const [p, e] of [['src', src.id], ['build', src.id]]) {
      for (const entry of existsSync(cachePath(p!)) ? await readdir(cachePath(p!)) : []) if (entry.startsWith(e!)) keep.add(cachePath(p!, entry));
    }
    for (const variant of Object.values(BUILTIN_VARIANTS)) {
      const byInputs = await inputsKey(variant, src);
      if (!existsSync(byInputs)) continue;
      const dir = (await readFile(byInputs, 'utf8')).trim();
      keep.add(byInputs).add(cachePath('kernels', 'by-inputs')).add(cachePath('kernels', dir));
      hashes.push(dir.slice(dir.lastIndexOf('-') + 1));
    }
  }
  keep.add(cachePath('workloads', await sourceDigest(WORKLOADS_DIR)));
  const bpf = sha256(await sourceDigest(BPF_DIR)).slice(0, 16);
  for (const h of hashes) keep.add(cachePath('bpf', `${bpf}-${h}`));
  for (const part of ['auditd', 'tools', 'logs']) keep.add(cachePath(part));
  return keep;
}

async function clean(unused: boolean): Promise<string> {
  const root = cacheRoot();
  if (!existsSync(root)) return `${root}: nothing to remove\n`;
  // A lock held means a run is using the cache right now.
  const locks: string[] = [];
  const walk = async (dir: string, depth: number) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isFile() && e.name.endsWith('.lock') && (await isLocked(p))) locks.push(p);
      else if (e.isDirectory() && depth < 2) await walk(p, depth + 1);
    }
  };
  await walk(root, 0);
  if (locks.length) throw new BenchError(`a run is using the cache (${locks[0]} is locked); clean it when no run is going`, undefined, 1);
  if (!unused) {
    const bytes = await size(root);
    await rm(root, { recursive: true, force: true });
    return `removed ${root} (${human(bytes)})\n`;
  }
  const keep = await inUse();
  const removed: string[] = [];
  let freed = 0;
  for (const part of await readdir(root)) {
    const dir = join(root, part);
    if (keep.has(dir) || !(await stat(dir)).isDirectory()) continue;
    for (const e of await readdir(dir)) {
      const p = join(dir, e);
      if (keep.has(p) || e.endsWith('.lock')) continue;
      if (part === 'kernels' && e === 'by-inputs') {
        for (const f of await readdir(p)) if (!keep.has(join(p, f))) await rm(join(p, f), { force: true });
        continue;
      }
      // A run's temporary files go only once its process has ended (the run id ends in its pid).
      if (part === 'tmp' && !runEnded(e)) continue;
      freed += await size(p);
      await rm(p, { recursive: true, force: true });
      removed.push(`${part}/${e}`);
    }
  }
  return `${removed.length ? `removed ${removed.length}: ${removed.join(', ')}\n` : 'nothing unused\n'}freed ${human(freed)}; kept the pinned sources and what the built-in kernels of ${DEFAULT_KERNEL_SOURCE} use\n`;
}

try {
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { unused: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      throw usageError(`${(err as Error).message} (see npm run cache -- --help)`);
    }
  })();
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const [command, ...rest] = positionals;
  if (rest.length || (command !== 'list' && command !== 'clean')) throw usageError('give list or clean [--unused] (see npm run cache -- --help)');
  if (command === 'list' && values.unused) throw usageError('--unused goes with clean');
  process.stdout.write(command === 'list' ? await list() : await clean(values.unused ?? false));
} catch (err) {
  const { line, exitCode } = errorLine(err);
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}
