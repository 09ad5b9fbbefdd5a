/**
 * The kernel sources the suite builds from, named exactly: each Debian
 * linux-source-X.Y package it uses is pinned to one version and to the sha256
 * of the tarball that version installs under /usr/src. Debian replaces a
 * package's candidate with every point release; without a pin, the same
 * command builds another kernel next month, and baselines and fixtures stop
 * matching. Moving a pin is one reviewed change: docs/kernel-sources.md.
 *
 * This module is data and pure functions; kernels/debian-source.ts fetches.
 */

import { usageError } from '../lib/errors.ts';

export interface PinnedSource {
  /** The Debian package: linux-source-6.12. */
  package: string;
  /** Its exact Debian version, as apt-get takes it after "=". */
  version: string;
  /** sha256 of the tarball the package installs (/usr/src/<package>.tar.xz). */
  sha256: string;
}

/**
 * linux-source-6.12: the newest 6.12 point release Debian 12 offered when the
 * pin was set (2026-12-02), and what the README's figures, baselines/ and
 * the test fixtures were measured on. linux-source-6.1: the newest 6.1, for
 * the kernel-versions matrix.
 */
export const PINNED_SOURCES: readonly PinnedSource[] = [
  { package: 'linux-source-6.12', version: '6.12.118-1~deb12u1', sha256: 'c93391b6a4884e6428ffbfbb8ce6340229ad28dc421e9f19bc081740b1ab34b2' },
  { package: 'linux-source-6.1', version: '6.1.192-3', sha256: 'cacdc3830989309d042083be3307969e55600ed7f908cf00df544c5ff50759a1' },
];

/**
 * Debian's kernel configuration for the `debian` variant (kernels/debian-config.ts):
 * linux-config-6.12 at the version of the pinned source, its cloud-amd64
 * flavour, and the sha256 of that flavour's config.*.xz in the package.
 */
export const DEBIAN_CONFIG_PIN = {
  package: 'linux-config-6.12',
  version: '6.12.118-1~deb12u1',
  flavour: 'amd64_none_cloud-amd64',
  sha256: 'db136e517bd7c5460ae9edab2d5c046b510c02ac41d997f102a986f10a4a6233',
} as const;

/** The source every built-in kernel is built from unless a matrix or --kernel-src names another. */
export const DEFAULT_KERNEL_SOURCE = 'linux-source-6.12';

/** What a kernel source names: a Debian source package at a version, or a tarball or tree on disk. */
export type SourceSpec =
  | { kind: 'package'; package: string; version: string; /** The pin it is, or null for a version named by hand. */ pin: PinnedSource | null }
  | { kind: 'path'; path: string };

const PACKAGE = /^(linux-source-\d+\.\d+)(?:=(\S+))?$/;

/** Whether a kernel source names a Debian package (linux-source-6.12, or linux-source-6.12=VERSION) rather than a path. */
export const isPackageSpec = (spec: string): boolean => PACKAGE.test(spec);

export function pinOf(pkg: string): PinnedSource | null {
  return PINNED_SOURCES.find((p) => p.package === pkg) ?? null;
}

/**
 * linux-source-6.12 is that package's pin; linux-source-6.12=VERSION is that
 * version, pinned or not; anything else is a path. A package without a pin
 * must be given a version: the suite never builds "whatever apt has today".
 */
export function parseSourceSpec(spec: string): SourceSpec {
  const m = PACKAGE.exec(spec);
  if (!m) return { kind: 'path', path: spec };
  const pkg = m[1]!;
  const pin = pinOf(pkg);
  if (m[2] !== undefined) return { kind: 'package', package: pkg, version: m[2], pin: pin?.version === m[2] ? pin : null };
  if (!pin) {
    const known = PINNED_SOURCES.map((p) => p.package).join(', ');
    throw usageError(`${pkg} has no pinned version (pinned: ${known}): name one, as ${pkg}=VERSION (apt-cache madison ${pkg} lists them)`);
  }
  return { kind: 'package', package: pkg, version: pin.version, pin };
}

/** The pin whose tarball has this digest: a tarball given by path that is a pinned source after all. */
export function pinOfDigest(sha256: string): PinnedSource | null {
  return PINNED_SOURCES.find((p) => p.sha256 === sha256) ?? null;
}

/** "linux-source-6.12 6.12.118-1~deb12u1": how messages name a package version. */
export const packageLabel = (pkg: string, version: string): string => `${pkg} ${version}`;
