import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePath } from '../../lib/cache.ts';
import { withLock } from '../../lib/lock.ts';
import { checkManifestTree, filesUnder, writeManifest } from '../../lib/manifest.ts';
import { shell } from '../../lib/shell.ts';

/**
 * auditd and auditctl for the guest come from Debian's packages, downloaded
 * and unpacked into the cache: never installed on, or started by, the host.
 * The libraries they link are taken from the same download so that the guest
 * gets the same files on every machine.
 */
const PACKAGES = [
  'auditd',
  'libauparse0',
  'libaudit1',
  'libcap-ng0',
  'libwrap0',
  'libgssapi-krb5-2',
  'libkrb5-3',
  'libk5crypto3',
  'libkrb5support0',
  'libcom-err2',
  'libkeyutils1',
];

/** A matrix's rules file `auditd:NAME` is NAME among the examples of the package (bench/matrix-sections.ts). */
export const PACKAGED_RULES_PREFIX = 'auditd:';
const RULES_EXAMPLES = 'usr/share/doc/auditd/examples/rules';
export const packagedRulesDir = (): string => join(cachePath('auditd'), 'root', RULES_EXAMPLES);

export interface AuditdRoot {
  /** The unpacked packages. */
  root: string;
  auditd: string;
  auditctl: string;
  /** The package's auditd.conf (bench/guest/auditd-conf.ts). */
  conf: string;
  /** The packages' plugin files, all inactive (bench/guest/auditd-plugins.ts). */
  pluginsDir: string;
  /** Library directories inside root, for resolving their dependencies. */
  libDirs: string[];
}

export async function prepareAuditd(log: string): Promise<AuditdRoot> {
  return withLock(cachePath('auditd.lock'), 'auditd package', () => unpackAuditd(log));
}

async function unpackAuditd(log: string): Promise<AuditdRoot> {
  const dir = cachePath('auditd');
  const root = join(dir, 'root');
  const result: AuditdRoot = {
    root,
    auditd: join(root, 'sbin/auditd'),
    auditctl: join(root, 'sbin/auditctl'),
    conf: join(root, 'etc/audit/auditd.conf'),
    pluginsDir: join(root, 'etc/audit/plugins.d'),
    libDirs: [join(root, 'lib/x86_64-linux-gnu'), join(root, 'usr/lib/x86_64-linux-gnu')],
  };
  // The unpacked tree's manifest is written last: one that matches is a whole, undamaged unpack.
  const problem = await checkManifestTree(dir);
  if (problem === null) return result;
  if (existsSync(root)) process.stderr.write(`guest: auditd package: ${problem}; unpacking it again\n`);

  // Packages downloaded before are unpacked again rather than fetched again; dpkg-deb checks them.
  const saved = join(dir, 'debs');
  const haveDebs = existsSync(saved) && (await readdir(saved)).filter((f) => f.endsWith('.deb')).length === PACKAGES.length;
  const debs = haveDebs ? saved : join(dir, 'debs.tmp');
  if (!haveDebs) {
    process.stderr.write(`guest: downloading ${PACKAGES.join(', ')} (Debian packages, unpacked into the cache)\n`);
    await rm(debs, { recursive: true, force: true });
    await mkdir(debs, { recursive: true });
    await shell({ log, cwd: debs })('apt-get download auditd')`apt-get download ${PACKAGES}`;
  }
  const tmpRoot = `${root}.tmp`;
  await rm(tmpRoot, { recursive: true, force: true });
  await mkdir(tmpRoot, { recursive: true });
  const sh = shell({ log });
  for (const deb of (await readdir(debs)).filter((f) => f.endsWith('.deb'))) await sh(`unpacking ${deb}`)`dpkg-deb -x ${join(debs, deb)} ${tmpRoot}`;
  await rm(root, { recursive: true, force: true });
  await rename(tmpRoot, root);
  if (!haveDebs) {
    await rm(saved, { recursive: true, force: true });
    await rename(debs, saved);
  }
  await writeManifest(dir, await filesUnder(root));
  return result;
}
