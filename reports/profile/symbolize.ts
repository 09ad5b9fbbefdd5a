import { usageError } from '../../lib/errors.ts';
import { bytesAt, symbolAt, type ElfImage } from './elf.ts';
import type { RawProfile } from './raw.ts';

/** Where a function's code lives, for the differential view. */
export type CodeGroup = 'kernel' | 'bpf' | 'user' | 'daemon';

export interface FunctionCount {
  group: CodeGroup;
  /** vmlinux, bpf, or the user binary's name; "user space" where none could be told apart. */
  binary: string;
  function: string;
  instructions: number;
}

export interface Symbolized {
  functions: FunctionCount[];
  /** Of the kernel blocks' instructions, the share whose bytes matched vmlinux at the boot's offset. */
  kernelMatch: number;
}

/** x86-64's kernel half begins here. */
const KERNEL_HALF = 0xffff800000000000n;
/**
 * The kernel image's 1 GiB, wherever KASLR puts it inside; above it the
 * module area, where BPF programs, trampolines and kprobe slots are JIT-ed.
 */
const IMAGE_AREA = 0xffffffff80000000n;
const MODULE_AREA = 0xffffffffc0000000n;
/** The share of kernel instructions that must match vmlinux: the kernel patches some of its code at boot (alternatives, static keys), never most of it. */
export const KERNEL_MATCH_MIN = 0.5;

export interface SymbolSources {
  vmlinux: ElfImage;
  /** The guest's _text; vmlinux's _text plus this boot's KASLR offset. */
  kernelText: bigint;
  /** JIT-compiled programs and trampolines from the guest's kallsyms. */
  bpfSymbols: { addr: bigint; name: string }[];
  /** Static binaries at their link addresses (execbench, nop), told apart by their bytes. */
  binaries: { name: string; image: ElfImage }[];
}

/**
 * Names the function of every block: kernel blocks from vmlinux at the KASLR
 * offset, checked by their bytes (a profile of another kernel matches
 * almost none); BPF from kallsyms; user blocks from the static binary whose
 * bytes they are, else "user space" (a daemon's or a library's code, or the vDSO).
 * `what` names the profile in errors.
 */
export function symbolize(raw: RawProfile, src: SymbolSources, what: string): Symbolized {
  const linkText = src.vmlinux.symbols.find((s) => s.name === '_text')?.addr;
  if (linkText === undefined) throw usageError(`${src.vmlinux.path}: no _text symbol; is it a vmlinux?`);
  const etext = src.vmlinux.symbols.find((s) => s.name === '_etext')?.addr ?? linkText + 0x40000000n;
  const offset = src.kernelText - linkText;
  const counts = new Map<string, FunctionCount>();
  const add = (group: CodeGroup, binary: string, fn: string, n: number) => {
    const key = `${group}\0${binary}\0${fn}`;
    const c = counts.get(key);
    if (c) c.instructions += n;
    else counts.set(key, { group, binary, function: fn, instructions: n });
  };
  let kernelAll = 0;
  let kernelMatched = 0;
  const bpf = [...src.bpfSymbols].sort((a, b) => (a.addr < b.addr ? -1 : 1));
  for (const b of raw.blocks) {
    if (b.vaddr >= KERNEL_HALF) {
      const link = b.vaddr - offset;
      if (b.vaddr >= IMAGE_AREA && b.vaddr < MODULE_AREA) {
        // The image's code: vmlinux's text at this boot's offset, unless the profile is of another kernel.
        kernelAll += b.count;
        const inText = link >= linkText && link < etext;
        const file = inText ? bytesAt(src.vmlinux, link, b.bytes.length) : null;
        if (file && file.equals(b.bytes)) kernelMatched += b.count;
        add('kernel', 'vmlinux', inText ? (symbolAt(src.vmlinux.symbols, link) ?? 'kernel (unnamed)') : 'kernel (outside vmlinux\'s text)', b.count);
      } else {
        add('bpf', 'bpf', symbolAt(bpf, b.vaddr) ?? 'outside vmlinux (BPF or module)', b.count);
      }
      continue;
    }
    const owner = src.binaries.find(({ image }) => bytesAt(image, b.vaddr, b.bytes.length)?.equals(b.bytes));
    if (owner) add('user', owner.name, symbolAt(owner.image.symbols, b.vaddr) ?? `${owner.name} (unnamed)`, b.count);
    else add('daemon', 'user space', 'user space', b.count);
  }
  const kernelMatch = kernelAll ? kernelMatched / kernelAll : 1;
  if (kernelAll && kernelMatch < KERNEL_MATCH_MIN) {
    throw usageError(
      `${what}: was not recorded on this kernel: only ${(kernelMatch * 100).toFixed(1)} % of its kernel instructions match ${src.vmlinux.path} at the boot's KASLR offset`,
    );
  }
  const functions = [...counts.values()].sort((a, b) => b.instructions - a.instructions);
  return { functions, kernelMatch };
}
