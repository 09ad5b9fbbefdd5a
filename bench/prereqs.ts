import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BenchError } from '../lib/errors.ts';
import { shell } from '../lib/shell.ts';

/** One thing the suite needs from the system, and the Debian package that brings it. */
interface Prerequisite {
  what: string;
  pkg: string;
  present: () => Promise<boolean>;
}

async function onPath(cmd: string): Promise<boolean> {
  return (await execa('sh', ['-c', `command -v ${cmd}`], { reject: false })).exitCode === 0;
}

const cmd = (name: string, pkg: string): Prerequisite => ({ what: name, pkg, present: () => onPath(name) });
const file = (path: string, pkg: string): Prerequisite => ({ what: path, pkg, present: async () => existsSync(path) });

async function staticBusybox(): Promise<boolean> {
  if (!existsSync('/bin/busybox')) return false;
  const r = await execa('ldd', ['/bin/busybox'], { reject: false });
  return /not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`);
}

/**
 * What a run needs from Debian: the one list that npm run bench, npm test's
 * setup, npm run setup and so .ci/run install from. Kernel sources are not
 * here: they are pinned to exact versions and fetched by kernels/debian-source.ts.
 */
export const PREREQUISITES: Prerequisite[] = [
  cmd('qemu-system-x86_64', 'qemu-system-x86'),
  cmd('gcc', 'gcc'),
  cmd('make', 'make'),
  cmd('clang', 'clang'),
  cmd('bpftool', 'bpftool'),
  cmd('objcopy', 'binutils'),
  cmd('flex', 'flex'),
  cmd('bison', 'bison'),
  cmd('bc', 'bc'),
  cmd('patch', 'patch'),
  cmd('pahole', 'dwarves'),
  cmd('xz', 'xz-utils'),
  cmd('dpkg-deb', 'dpkg'),
  cmd('apt-get', 'apt'),
  file('/usr/include/bpf/libbpf.h', 'libbpf-dev'),
  file('/usr/include/libelf.h', 'libelf-dev'),
  file('/usr/include/zlib.h', 'zlib1g-dev'),
  file('/usr/include/openssl/ssl.h', 'libssl-dev'),
  file('/usr/lib/x86_64-linux-gnu/libc.a', 'libc6-dev'),
  { what: 'a static /bin/busybox', pkg: 'busybox-static', present: staticBusybox },
];

/** What `npm test` needs beyond a run: the browser the report is checked in, its font, and cpio(1) to check our archives. */
export const TEST_PREREQUISITES: Prerequisite[] = [
  cmd('chromium', 'chromium'),
  file('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'fonts-dejavu-core'),
  cmd('cpio', 'cpio'),
];

export async function missingPackages(extra: Prerequisite[] = []): Promise<{ what: string; pkg: string }[]> {
  const list = [...PREREQUISITES, ...extra];
  const present = await Promise.all(list.map((p) => p.present()));
  return list.filter((_, i) => !present[i]).map(({ what, pkg }) => ({ what, pkg }));
}

/**
 * Installs what is missing when running as root; otherwise stops with the
 * exact command to run (exit 2).
 */
export async function ensurePrerequisites(logDir: string, extra: Prerequisite[] = []): Promise<void> {
  const missing = await missingPackages(extra);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const command = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new BenchError(`missing ${missing.map((m) => m.what).join(', ')}: run  sudo apt-get update && sudo ${command}`, undefined, 2);
  }
  const log = join(logDir, 'apt.log');
  process.stderr.write(`setup: installing ${pkgs.join(' ')} (log: ${log})\n`);
  const sh = shell({ log, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  await sh('apt-get update')`apt-get update`;
  await sh(`apt-get install ${pkgs.join(' ')}`)`apt-get install -y --no-install-recommends ${pkgs}`;
  const still = await missingPackages(extra);
  if (still.length) throw new BenchError(`still missing after apt-get install: ${still.map((m) => m.what).join(', ')}`, log);
}
