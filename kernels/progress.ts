import { printLine, progress } from '../lib/progress.ts';

/**
 * C objects of vmlinux compiled by a first build of 6.12 (the boot code's come
 * later, with bzImage): 1004 for the audit kernel, which the seed matrix
 * builds first (measured 2026-12-03, on the base of kernels/variants.ts).
 */
export const ESTIMATED_OBJECTS = 1004;

export interface CompileProgress {
  /** Feed it make's output, line by line. */
  onLine: (line: string) => void;
  /** When linking began (now, if it never did), with the bar closed. */
  finish: () => number;
}

/**
 * A progress bar for one variant's make, from kbuild's short output: one
 * `  CC  path` line per object compiled. With andLink, the link's first step
 * closes the bar and is announced: vmlinux.o when objects were compiled,
 * else modpost or the first vmlinux pass.
 */
export function compileProgress(variant: string, expected: number, andLink: boolean): CompileProgress {
  const bar = progress(`kernel ${variant}: compiling`);
  let objects = 0;
  let linkStarted: number | undefined;
  return {
    onLine(line) {
      if (linkStarted !== undefined) return;
      if (/^\s+CC\s/.test(line)) bar.update(++objects, Math.max(expected, objects), 'objects');
      else if (andLink && /^\s+\S+\s+(vmlinux\.o|vmlinux\.symvers|\.tmp_vmlinux\S*)$/.test(line)) {
        linkStarted = Date.now();
        bar.done(`${objects} objects`);
        printLine(`kernel ${variant}: linking vmlinux and bzImage`);
      }
    },
    finish() {
      if (linkStarted === undefined) bar.done(`${objects} objects`);
      return linkStarted ?? Date.now();
    },
  };
}
