/**
 * Which system calls a built x86-64 kernel has, by architecture as audit
 * names them (b64, and b32 for the IA-32 emulation). The kernel's syscall
 * tables map each name to its entry point; a kernel built without what a
 * syscall needs (CONFIG_COMPAT_32BIT_TIME for stime on b32, CONFIG_KEXEC for
 * kexec_load, ...) still has the entry's symbol, but as a weak stub that
 * returns ENOSYS (COND_SYSCALL), so an entry counts only where vmlinux
 * defines it strongly. An audit rule on a syscall the kernel lacks is
 * accepted and never fires.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture } from '../lib/run.ts';

export interface KernelSyscalls {
  /** "b64:open", "b32:stime", ... for every syscall the kernel implements. */
  has: Set<string>;
  /** The same names mapped to the entry symbol they need, for the error message. */
  entry: Map<string, string>;
}

/** The entry symbols of one table: b64 from syscall_64.tbl (common and 64), b32 from syscall_32.tbl. */
export function parseSyscallTable(text: string, arch: 'b32' | 'b64'): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length < 4) continue;
    const [, abi, name, entry, compat] = f;
    if (arch === 'b64' && abi !== 'common' && abi !== '64') continue;
    if (arch === 'b32' && abi !== 'i386') continue;
    // On a 64-bit kernel an i386 syscall runs its compat entry where there is one.
    const used = arch === 'b32' ? (compat ?? entry!) : entry!;
    out.set(name!, `${arch === 'b32' ? '__ia32_' : '__x64_'}${used}`);
  }
  return out;
}

/** The symbols vmlinux defines strongly (nm types T and t). */
export function strongText(nmOutput: string): Set<string> {
  const out = new Set<string>();
  for (const line of nmOutput.split('\n')) {
    const [, type, name] = line.split(' ');
    if ((type === 'T' || type === 't') && name) out.add(name);
  }
  return out;
}

export async function kernelSyscalls(sourceTree: string, vmlinux: string): Promise<KernelSyscalls> {
  const dir = join(sourceTree, 'arch/x86/entry/syscalls');
  const [t64, t32, nm] = await Promise.all([
    readFile(join(dir, 'syscall_64.tbl'), 'utf8'),
    readFile(join(dir, 'syscall_32.tbl'), 'utf8'),
    capture('nm', [vmlinux], `nm ${vmlinux}`),
  ]);
  const strong = strongText(nm);
  const has = new Set<string>();
  const entry = new Map<string, string>();
  for (const [arch, table] of [['b64', t64], ['b32', t32]] as const) {
    for (const [name, symbol] of parseSyscallTable(table, arch)) {
      entry.set(`${arch}:${name}`, symbol);
      if (strong.has(symbol) && !symbol.endsWith('sys_ni_syscall')) has.add(`${arch}:${name}`);
    }
  }
  return { has, entry };
}
