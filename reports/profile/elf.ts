import { readFile } from 'node:fs/promises';
import { usageError } from '../../lib/errors.ts';

/** What a profile needs of an ELF64 little-endian file: its loaded code and its function symbols. */
export interface ElfImage {
  path: string;
  /** Executable PT_LOAD segments: their addresses and where their bytes are. */
  code: { vaddr: bigint; size: number; bytes: Buffer }[];
  /** Function and code-label symbols in executable sections, by address. */
  symbols: { addr: bigint; name: string; func?: boolean }[];
}

const PT_LOAD = 1;
const PF_X = 1;
const SHT_SYMTAB = 2;
const SHF_EXECINSTR = 4n;
const STT_NOTYPE = 0;
const STT_FUNC = 2;

/**
 * Reads an ELF64 file's executable segments and symbol table. A file without
 * a symbol table (a stripped vmlinux) is refused: every address would be
 * unnamed.
 */
export async function readElf(path: string): Promise<ElfImage> {
  const buf = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw usageError(`cannot read ${path}: ${err.code ?? err.message}`);
  });
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw usageError(`${path}: not a 64-bit little-endian ELF file`);
  const phoff = Number(buf.readBigUInt64LE(32));
  const shoff = Number(buf.readBigUInt64LE(40));
  const [phentsize, phnum, shentsize, shnum] = [buf.readUInt16LE(54), buf.readUInt16LE(56), buf.readUInt16LE(58), buf.readUInt16LE(60)];
  const code: ElfImage['code'] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (buf.readUInt32LE(p) !== PT_LOAD || !(buf.readUInt32LE(p + 4) & PF_X)) continue;
    const offset = Number(buf.readBigUInt64LE(p + 8));
    const size = Number(buf.readBigUInt64LE(p + 32));
    code.push({ vaddr: buf.readBigUInt64LE(p + 16), size, bytes: buf.subarray(offset, offset + size) });
  }
  const section = (i: number) => {
    const s = shoff + i * shentsize;
    return { type: buf.readUInt32LE(s + 4), flags: buf.readBigUInt64LE(s + 8), offset: Number(buf.readBigUInt64LE(s + 24)), size: Number(buf.readBigUInt64LE(s + 32)), link: buf.readUInt32LE(s + 40) };
  };
  const sections = Array.from({ length: shnum }, (_, i) => section(i));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw usageError(`${path}: has no symbol table (stripped?); a profile cannot name its functions`);
  const strtab = sections[symtab.link]!;
  const symbols: ElfImage['symbols'] = [];
  for (let off = symtab.offset; off + 24 <= symtab.offset + symtab.size; off += 24) {
    const type = buf[off + 4]! & 0xf;
    const shndx = buf.readUInt16LE(off + 6);
    if ((type !== STT_FUNC && type !== STT_NOTYPE) || shndx === 0 || shndx >= shnum || !(sections[shndx]!.flags & SHF_EXECINSTR)) continue;
    const nameAt = strtab.offset + buf.readUInt32LE(off);
    const name = buf.toString('latin1', nameAt, buf.indexOf(0, nameAt));
    // Local labels, and the padding before each function that call-depth tracking and CFI reserve.
    if (!name || name.startsWith('.L') || name.startsWith('__pfx_')) continue;
    symbols.push({ addr: buf.readBigUInt64LE(off + 8), name, func: type === STT_FUNC });
  }
  if (symbols.length === 0) throw usageError(`${path}: its symbol table names no code; a profile cannot name its functions`);
  // Where a label and a function share an address (__sched_text_start and the first function
  // of .sched.text), the function sorts last, and symbolAt takes the last at or below.
  symbols.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : Number(a.func) - Number(b.func)));
  return { path, code, symbols };
}

/** The symbol at or below addr, or null below the first. */
export function symbolAt(symbols: ElfImage['symbols'], addr: bigint): string | null {
  let lo = 0;
  let hi = symbols.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid]!.addr <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? null : symbols[found]!.name;
}

/** The file's bytes at addr, or null where no executable segment holds them all. */
export function bytesAt(image: ElfImage, addr: bigint, length: number): Buffer | null {
  for (const seg of image.code) {
    if (addr >= seg.vaddr && addr + BigInt(length) <= seg.vaddr + BigInt(seg.size)) {
      const at = Number(addr - seg.vaddr);
      return seg.bytes.subarray(at, at + length);
    }
  }
  return null;
}
