/**
 * A Debian kernel source package's tarball, at one exact version, in the
 * cache: fetched with `apt-get download PACKAGE=VERSION` (no install, so
 * neither root nor the version installed on the host matters) and checked
 * against its pin's sha256. The host's /usr/src copy is used in place when it
 * has the pinned bytes.
 */

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { tempNameFor } from '../lib/atomic.ts';
import { cachePath, sha256File } from '../lib/cache.ts';
import { BenchError, usageError } from '../lib/errors.ts';
import { withLock } from '../lib/lock.ts';
import { shell } from '../lib/shell.ts';
import { packageLabel, type PinnedSource } from './pins.ts';

export interface PackageVersion {
  package: string;
  version: string;
  /** The pin this version is, whose digest the tarball must have; null for a version named by hand. */
  pin: PinnedSource | null;
}

/** Where the tarball of a package version is kept in the cache. */
export const cachedTarball = (p: Pick<PackageVersion, 'package' | 'version'>): string => cachePath('sources', `${p.package}_${p.version}.tar.xz`);

/** The tarball Debian's package installs, and so the member of its .deb that holds it. */
const installedTarball = (pkg: string) => `/usr/src/${pkg}.tar.xz`;

/** The versions of a package that `apt-cache madison` lists, newest first as apt lists them. */
export function parseMadison(text: string, pkg: string): string[] {
  const versions: string[] = [];
  for (const line of text.split('\n')) {
    const [name, version] = line.split('|').map((f) => f.trim());
    if (name === pkg && version && !versions.includes(version)) versions.push(version);
  }
  return versions;
}

/** The one line a run stops with when apt does not offer the version a source names. */
export function unavailableMessage(p: PackageVersion, offered: string[]): string {
  const label = packageLabel(p.package, p.version);
  const what = p.pin ? `${label}, the pinned kernel source,` : label;
  const has = offered.length ? `apt offers ${offered.join(', ')}` : `apt offers no version of ${p.package} (run apt-get update?)`;
  const other = offered[0] ?? 'VERSION';
  return `${what} is not offered by apt (${has}): pass --kernel-src with a tarball or tree of ${label}, `
    + `or --kernel-src ${p.package}=${other} to build that version instead (its figures will not compare with baselines/ or the README's)`;
}

async function offeredVersions(pkg: string): Promise<string[]> {
  const r = await execa('apt-cache', ['madison', pkg], { reject: false, stdin: 'ignore' });
  return parseMadison(String(r.stdout ?? ''), pkg);
}

/** The digest recorded beside a tarball fetched for a version without a pin. */
const digestFile = (tarball: string) => `${tarball}.sha256`;

/** The tarball of this version that is already here and whole, with its digest, or null. */
async function present(p: PackageVersion): Promise<{ path: string; sha256: string } | null> {
  const cached = cachedTarball(p);
  if (p.pin) {
    for (const path of [cached, installedTarball(p.package)]) {
      if (existsSync(path) && (await sha256File(path)) === p.pin.sha256) return { path, sha256: p.pin.sha256 };
    }
    return null;
  }
  if (!existsSync(cached) || !existsSync(digestFile(cached))) return null;
  const recorded = (await readFile(digestFile(cached), 'utf8')).trim();
  return (await sha256File(cached)) === recorded ? { path: cached, sha256: recorded } : null;
}

/**
 * The tarball of a package version, fetched into the cache when it is not
 * here. A version apt does not offer stops with unavailableMessage (exit 2);
 * a download or a package that fails otherwise, or a tarball whose digest is
 * not the pin's, is the environment's fault (exit 1), with the log named.
 */
export async function debianTarball(p: PackageVersion, log: string, signal?: AbortSignal): Promise<{ path: string; sha256: string }> {
  const label = packageLabel(p.package, p.version);
  const dest = cachedTarball(p);
  await mkdir(cachePath('sources'), { recursive: true });
  await mkdir(dirname(log), { recursive: true });
  return (await present(p)) ?? withLock(`${dest}.lock`, `kernel source ${label}`, async () => {
    const again = await present(p);
    if (again) return again;
    const tmp = tempNameFor(dest);
    await mkdir(tmp, { recursive: true });
    try {
      process.stderr.write(`kernel source: downloading ${label} (apt-get download, about 140 MB)\n`);
      const sh = shell({ log, cwd: tmp, signal });
      const download = () => execa('apt-get', ['download', `${p.package}=${p.version}`], { cwd: tmp, reject: false, all: true, stdin: 'ignore', ...(signal && { cancelSignal: signal }) });
      let got = await download();
      await writeFile(log, `$ apt-get download ${p.package}=${p.version}\n${String(got.all ?? '')}\n`, { flag: 'a' });
      if (got.exitCode !== 0) {
        let offered = await offeredVersions(p.package);
        // An apt that was never updated lists nothing: as root, update once and try again.
        if (!offered.includes(p.version) && process.getuid?.() === 0) {
          await sh('apt-get update')`apt-get update`;
          offered = await offeredVersions(p.package);
          if (offered.includes(p.version)) got = await download();
        }
        if (!offered.includes(p.version)) throw usageError(unavailableMessage(p, offered), log);
        if (got.exitCode !== 0) throw new BenchError(`apt-get download ${p.package}=${p.version} failed (exit ${got.exitCode})`, log);
      }
      const debName = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
      if (!debName) throw new BenchError(`apt-get download ${p.package}=${p.version} left no .deb`, log);
      const tarball = join(tmp, 'source.tar.xz');
      await sh(`taking ${installedTarball(p.package)} out of ${debName} (the package's tarball is missing?)`)`dpkg-deb --fsys-tarfile ${debName} | tar -xO -f - ${`.${installedTarball(p.package)}`} > ${tarball}`;
      const digest = await sha256File(tarball);
      if (p.pin && digest !== p.pin.sha256) {
        throw new BenchError(`${label} from apt holds a tarball of sha256 ${digest}, not the pinned ${p.pin.sha256}: the same version with other bytes, refused`, log);
      }
      if (!p.pin) await writeFile(digestFile(dest), `${digest}\n`);
      await rename(tarball, dest);
      return { path: dest, sha256: digest };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}
