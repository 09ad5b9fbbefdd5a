import { existsSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { QEMU } from './qemu.ts';

export const SUITE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface HostInfo {
  cpu: string;
  cores: number;
  kernel: string;
  os: string;
}

export function hostInfo(): HostInfo {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'unknown',
  };
}

export async function qemuVersion(): Promise<string> {
  const r = await execa(QEMU, ['--version'], { reject: false });
  return String(r.stdout).split('\n')[0]?.replace(/^QEMU emulator version\s*/, '').trim() || 'unknown';
}

/** The suite's git revision, "-dirty" when the tree has changes; the package version outside git. */
export async function suiteRevision(): Promise<string> {
  const rev = await execa('git', ['-C', SUITE_ROOT, 'rev-parse', '--short=12', 'HEAD'], { reject: false });
  if (rev.failed) {
    const pkg = JSON.parse(readFileSync(join(SUITE_ROOT, 'package.json'), 'utf8')) as { version: string };
    return `v${pkg.version}`;
  }
  const dirty = await execa('git', ['-C', SUITE_ROOT, 'status', '--porcelain', '--untracked-files=no'], { reject: false });
  return `${String(rev.stdout).trim()}${String(dirty.stdout).trim() ? '-dirty' : ''}`;
}
