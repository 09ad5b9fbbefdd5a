import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRAGMENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fragments');

/** A kernel to build: Kconfig fragments applied in order on top of tinyconfig, or of Debian's config. */
export interface KernelVariant {
  name: string;
  /** Paths of Kconfig fragment files; later ones win. */
  fragments: string[];
  /**
   * What the fragments go on top of: tinyconfig (absent), or Debian's cloud-amd64 config without its
   * modules (kernels/debian-config.ts).
   */
  base?: 'debian-cloud-amd64';
  /**
   * Where its source comes from, when not --kernel-src: a Debian package at
   * its pinned version (linux-source-6.1) or at one named (=VERSION), a
   * tarball or a source tree (kernels/pins.ts).
   */
  source?: string;
}

/**
 * The base every seed kernel shares, in the order its groups were added
 * (docs/methodology.md, "The kernel"): tinyconfig with what the suite needs
 * (base.config), then what changes exec's path on the kernels people run.
 * The kernel-ladder matrix measures each group.
 */
export const BASE_FRAGMENTS = ['base.config', 'sched.config', 'codegen.config', 'lsm.config', 'services.config', 'hardening.config', 'disk.config'];

const fragments = (...names: string[]) => names.map((n) => join(FRAGMENTS_DIR, n));

/**
 * The two kernels of the seed matrix share one base and differ only in audit,
 * so a delta between them means one thing. `debian` is Debian's own
 * configuration, for checking that base against it.
 */
export const BUILTIN_VARIANTS: Record<string, KernelVariant> = {
  noaudit: { name: 'noaudit', fragments: fragments(...BASE_FRAGMENTS, 'noaudit.config') },
  audit: { name: 'audit', fragments: fragments(...BASE_FRAGMENTS, 'audit.config') },
  debian: { name: 'debian', fragments: fragments('debian.config'), base: 'debian-cloud-amd64' },
};
