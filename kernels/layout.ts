import { createHash } from 'node:crypto';
import { mulberry32, shuffled } from '../lib/prng.ts';

/**
 * Where a kernel's code falls, drawn per link: the build compiles once and
 * each draw links the same objects again, with the objects' main text
 * (`.text`) in a shuffled order after a drawn padding.
 *
 * A compiled kernel's code layout is one draw of the link order kbuild
 * happens to use. KASLR moves the whole image by multiples of 2 MiB, never a
 * function within it, so without this every boot of a kernel runs its one
 * layout and a comparison of two kernels carries one draw of each. Only
 * `.text` is reordered: initcalls, tables and data keep kbuild's order, since
 * the order of initcalls within a level is the boot's order.
 */
export interface KernelLayout {
  /** Which of the kernel's drawn links: the boot seed modulo the number of draws. */
  draw: number;
  /** Bytes of padding before the objects' main text: a multiple of 16 below a page. */
  textPad: number;
  /** sha256 (16 hex digits) of the order in which the objects' `.text` is linked. */
  orderDigest: string;
}

/**
 * Draws per kernel: D in the design's terms (docs/methodology.md, "Every boot
 * draws its own layout"). Boot seeds map onto them in turn, so that B boots
 * spread over all D draws, B / D each.
 */
export const KERNEL_LAYOUT_DRAWS = 12;

const PAGE = 4096;
const STEP = 16;

/** The draw that a boot of this seed runs. */
export function kernelDrawOf(seed: number, draws = KERNEL_LAYOUT_DRAWS): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`kernelDrawOf: seed must be a whole number >= 0, got ${seed}`);
  return seed % draws;
}

/**
 * Draw `draw` of a kernel whose archive holds `objects` (in kbuild's order):
 * from sha256("krsi-bench kernel layout <draw>"), two bytes for the padding
 * and four for the order. The derivation is part of the method and pinned by
 * a test, like the workload's (bench/guest/workload-layout.ts).
 */
export function drawKernelLayout(draw: number, objects: readonly string[]): { layout: KernelLayout; order: string[] } {
  if (!Number.isSafeInteger(draw) || draw < 0) throw new Error(`drawKernelLayout: draw must be a whole number >= 0, got ${draw}`);
  const h = createHash('sha256').update(`krsi-bench kernel layout ${draw}`).digest();
  const order = shuffled(objects, mulberry32(h.readUInt32LE(4)));
  const orderDigest = createHash('sha256').update(order.join('\n')).digest('hex').slice(0, 16);
  return { layout: { draw, textPad: (h.readUInt16LE(0) % (PAGE / STEP)) * STEP, orderDigest }, order };
}

/** The input sections kbuild's generic linker script gathers as the kernel's main text (TEXT_MAIN and .text.fixup). */
export const MAIN_TEXT = '*(.text .text.fixup)';

/**
 * The kernel's generated linker script (arch/x86/kernel/vmlinux.lds) with
 * the main text laid out as drawn: the padding, then each object's `.text`
 * in the drawn order, then the original pattern for whatever no object name
 * matched. ld puts an input section at its first matching pattern, and an
 * object of an archive is matched as `archive:member`.
 */
export function layoutLinkerScript(lds: string, textPad: number, order: readonly string[]): string {
  const at = lds.indexOf(MAIN_TEXT);
  if (at < 0 || lds.indexOf(MAIN_TEXT, at + 1) >= 0) throw new Error(`the kernel's linker script does not name its main text (${MAIN_TEXT}) exactly once`);
  const placed = order.map((o) => `*:${o}(.text .text.fixup)`).join('\n');
  return `${lds.slice(0, at)}. = . + ${textPad};\n${placed}\n${lds.slice(at)}`;
}

/**
 * The same layout as a script for the relocatable link of vmlinux.o
 * (`ld -r`), for kernels whose final link starts from vmlinux.o rather than
 * from the archives: those with IBT (or Clang's LTO), where objtool runs on
 * vmlinux.o (link-vmlinux.sh). ld merges the objects' `.text` into one
 * section there, so the order must be drawn in this link; every other
 * section is left to ld's defaults, as in kbuild's own link.
 */
export function relocatableLayoutScript(textPad: number, order: readonly string[]): string {
  const placed = order.map((o) => `    *:${o}(.text)`).join('\n');
  return `SECTIONS\n{\n  .text : {\n    . = . + ${textPad};\n${placed}\n    *(.text)\n  }\n}\n`;
}

/** A short name for a draw's cache directory and logs: "d2-t1024-3f9a0c...". */
export function kernelLayoutName(l: KernelLayout): string {
  return `d${l.draw}-t${l.textPad}-${l.orderDigest}`;
}
