import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRAGMENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fragments');

/** A kernel to build: Kconfig fragments applied in order on top of tinyconfig. */
export interface KernelVariant {
  name: string;
  /** Paths of Kconfig fragment files; later ones win. */
  fragments: string[];
  /**
   * Where its source comes from, when not --kernel-src: a Debian package at
   * its pinned version (linux-source-6.1) or at one named (=VERSION), a
   * tarball or a source tree (kernels/pins.ts).
   */
  source?: string;
}

/**
 * The two kernels of the seed matrix share one base and differ only in audit,
 * so a delta between them means one thing.
 */
export const BUILTIN_VARIANTS: Record<string, KernelVariant> = {
  noaudit: { name: 'noaudit', fragments: [join(FRAGMENTS_DIR, 'base.config'), join(FRAGMENTS_DIR, 'noaudit.config')] },
  audit: { name: 'audit', fragments: [join(FRAGMENTS_DIR, 'base.config'), join(FRAGMENTS_DIR, 'audit.config')] },
};
