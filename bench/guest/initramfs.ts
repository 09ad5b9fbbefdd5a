import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { writeFileAtomic } from '../../lib/atomic.ts';
import { dirname } from 'node:path';
import { cachePath, sha256, sha256File } from '../../lib/cache.ts';
import { BenchError } from '../../lib/errors.ts';
import { capture } from '../../lib/run.ts';
import type { AuditdRoot } from './auditd.ts';
import { cpioArchive, type CpioEntry } from './cpio.ts';
import { GUEST } from './init-script.ts';
import { LIBC_HOLDER, PRELOAD_LIBRARY, SHELL_ENV, SHELL_ENV_FILE } from './exec-target.ts';

/** The programs that go into every guest, wherever they were built. */
export interface GuestPrograms {
  busybox: string;
  nop: string;
  seedrng: string;
  /** The snapshot of the kernel's accounting (workloads/attribution.c), run by execbench in every boot. */
  attribution: string;
  auditd: AuditdRoot;
  /** /etc/audit/auditd.conf (bench/guest/auditd-conf.ts). */
  auditdConf: string;
  /** Turned-on auditd plugins (bench/guest/auditd-plugins.ts): their files for plugins.d, and the programs auditd starts. */
  auditdPlugins?: { confs: Record<string, string>; binaries: Record<string, string> };
  /**
   * For a scenario that execs the dynamic target (bench/guest/exec-target.ts): the program, the library
   * LD_PRELOAD names for it, and the shell environment execbench reads.
   */
  dynamicTarget?: { binary: string; holder: string; preloadLibrary: string };
  /** For a kernel with a disk: mke2fs and its configuration (bench/guest/disk.ts), which the boot makes its disk with. */
  mke2fs?: { binary: string; conf: string };
  /** split-boot (workloads/split_boot.c), in the archive of a split boot's shared part. */
  splitBoot?: string;
  /** BPF tool name -> its loader binary. */
  bpfTools: Record<string, string>;
  /** The generic loader, and the users' objects it loads (name -> .bpf.o). */
  bpfAttach: string;
  bpfObjects: Record<string, string>;
}

const DIRS = [
  'bin', 'sbin', 'dev', 'etc', 'etc/audit', 'etc/audit/plugins.d', 'lib', 'lib64', 'proc', 'root', 'run', 'sys',
  'tmp', 'usr', 'usr/lib', 'var', 'var/log', 'var/log/audit',
];

/** The shared libraries a dynamic binary loads, as ldd resolves them (with extra library directories first). */
export async function sharedLibraries(binary: string, libDirs: string[] = []): Promise<string[]> {
  const env = libDirs.length ? { LD_LIBRARY_PATH: libDirs.join(':') } : undefined;
  const out = await capture('ldd', [binary], `ldd ${binary}`, env).catch((err: unknown) => {
    // ldd fails on static binaries: they need nothing.
    if (err instanceof BenchError && /not a dynamic executable/.test(err.message)) return '';
    throw err;
  });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    if (/=> not found/.test(line)) throw new BenchError(`${binary} needs ${line.trim().split(' ')[0]}, which is not installed`);
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

async function fileEntry(path: string, guestPath: string, mode = 0o755): Promise<CpioEntry> {
  return { kind: 'file', path: guestPath, data: await readFile(await realpath(path)), mode };
}

/** Every directory above the given guest paths, so that the archive creates them before their files. */
function parentDirs(paths: string[]): CpioEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) for (let d = dirname(p); d !== '/' && d !== '.'; d = dirname(d)) dirs.add(d);
  return [...dirs].map((d) => ({ kind: 'dir', path: d }));
}

/**
 * Builds a scenario's initramfs (busybox, the workload, auditd, the BPF
 * loaders and their libraries, but no /init) and returns its path. The
 * archive is reproducible, so it is kept in the cache under its own digest.
 */
export async function buildBaseInitramfs(p: GuestPrograms): Promise<string> {
  return storeInitramfs(await baseEntries(p));
}

/** An archive of `entries` (baseEntries'), kept in the cache under its own digest; its path. */
export async function storeInitramfs(entries: readonly CpioEntry[]): Promise<string> {
  const archive = cpioArchive(entries);
  const digest = sha256(archive);
  const out = cachePath('initramfs', `base-${digest.slice(0, 16)}.cpio`);
  // Named by its content: a file there that does not hash to its name is damaged, and is replaced.
  if (!existsSync(out) || (await sha256File(out)) !== digest) {
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, archive);
  }
  return out;
}

/** What buildBaseInitramfs puts in the archive, in order. */
export async function baseEntries(p: GuestPrograms): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = DIRS.map((path) => ({ kind: 'dir', path }));
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  entries.push({ kind: 'symlink', path: 'var/run', target: '/run' });

  entries.push(await fileEntry(p.busybox, 'bin/busybox'));
  const applets = (await capture(p.busybox, ['--list'], 'busybox --list')).split('\n').filter(Boolean);
  const ours = new Set(['busybox', 'mke2fs', 'nop', 'krsi-true', 'krsi-hold', 'execbench', 'seedrng', 'attribution', 'split-boot', 'auditd', 'auditctl', 'bpf_attach', ...Object.keys(p.bpfTools)]);
  for (const a of applets) if (!ours.has(a)) entries.push({ kind: 'symlink', path: `bin/${a}`, target: 'busybox' });

  entries.push(await fileEntry(p.nop, GUEST.nop.slice(1)));
  entries.push(await fileEntry(p.seedrng, GUEST.seedrng.slice(1)));
  entries.push(await fileEntry(p.attribution, GUEST.attribution.slice(1)));
  if (p.splitBoot) entries.push(await fileEntry(p.splitBoot, GUEST.splitBoot.slice(1)));
  entries.push(await fileEntry(p.auditd.auditd, GUEST.auditd.slice(1)));
  entries.push(await fileEntry(p.auditd.auditctl, GUEST.auditctl.slice(1)));
  for (const [tool, path] of Object.entries(p.bpfTools)) entries.push(await fileEntry(path, GUEST.bpfTool(tool).slice(1)));
  entries.push(await fileEntry(p.bpfAttach, GUEST.bpfAttach.slice(1)));
  entries.push({ kind: 'dir', path: 'opt' }, { kind: 'dir', path: 'opt/bpf' });
  for (const [name, path] of Object.entries(p.bpfObjects)) entries.push(await fileEntry(path, GUEST.bpfObject(name).slice(1), 0o644));

  if (p.dynamicTarget) {
    entries.push({ kind: 'dir', path: dirname(SHELL_ENV_FILE).slice(1) });
    entries.push({ kind: 'file', path: SHELL_ENV_FILE.slice(1), data: Buffer.from(`${SHELL_ENV.join('\n')}\n`), mode: 0o644 });
    entries.push(await fileEntry(p.dynamicTarget.binary, GUEST.krsiTrue.slice(1)));
    entries.push(await fileEntry(p.dynamicTarget.holder, LIBC_HOLDER.slice(1)));
    entries.push(await fileEntry(p.dynamicTarget.preloadLibrary, PRELOAD_LIBRARY.slice(1), 0o644));
  }
  for (const [file, text] of Object.entries(p.auditdPlugins?.confs ?? {})) {
    entries.push({ kind: 'file', path: `etc/audit/plugins.d/${file}`, data: Buffer.from(text), mode: 0o640 });
  }
  for (const [guestPath, path] of Object.entries(p.auditdPlugins?.binaries ?? {})) entries.push(await fileEntry(path, guestPath.slice(1)));
  if (p.mke2fs) {
    entries.push(await fileEntry(p.mke2fs.binary, GUEST.mke2fs.slice(1)));
    entries.push(await fileEntry(p.mke2fs.conf, 'etc/mke2fs.conf', 0o644));
  }
  const dynamic = [
    p.auditd.auditd, p.auditd.auditctl, p.bpfAttach, ...Object.values(p.bpfTools), ...(p.mke2fs ? [p.mke2fs.binary] : []),
    ...(p.dynamicTarget ? [p.dynamicTarget.binary] : []), ...Object.values(p.auditdPlugins?.binaries ?? {}),
  ];
  const libs = new Set<string>();
  for (const bin of dynamic) for (const lib of await sharedLibraries(bin, p.auditd.libDirs)) libs.add(lib);
  const libEntries: CpioEntry[] = [];
  for (const lib of libs) {
    // Libraries unpacked from the packages go where the packages put them; host ones keep their path.
    const guestPath = lib.startsWith(p.auditd.root) ? lib.slice(p.auditd.root.length) : lib;
    libEntries.push(await fileEntry(lib, guestPath.slice(1)));
  }
  const known = new Set(entries.map((e) => e.path));
  entries.push(...parentDirs(libEntries.map((e) => `/${e.path}`)).filter((e) => !known.has(e.path)));
  entries.push(...libEntries);

  entries.push({ kind: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  // adm: the packaged auditd.conf's log_group.
  entries.push({ kind: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\nadm:x:4:\n') });
  entries.push({ kind: 'file', path: 'etc/audit/auditd.conf', data: Buffer.from(p.auditdConf), mode: 0o640 });

  return dedupe(entries);
}

function dedupe(entries: CpioEntry[]): CpioEntry[] {
  const seen = new Map<string, CpioEntry>();
  for (const e of entries) seen.set(e.path.replace(/^\/+/, ''), e);
  return [...seen.values()];
}

/**
 * The per-boot part, appended to the base archive (the kernel unpacks concatenated archives in
 * order): /init, and execbench, which each boot of a random layout links in a layout of its own
 * (bench/guest/workload-layout.ts).
 */
export function initArchive(script: string, execbench: Buffer): Buffer {
  return cpioArchive([
    { kind: 'file', path: 'init', data: Buffer.from(script), mode: 0o755 },
    { kind: 'file', path: GUEST.execbench.slice(1), data: execbench, mode: 0o755 },
  ]);
}
