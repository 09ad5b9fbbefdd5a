import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltKernel } from '../../kernels/build.ts';
import { cachePath, sha256 } from '../cache.ts';
import { withLock } from '../lock.ts';
import { runLogged } from '../proc.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORKLOADS_DIR = join(ROOT, 'workloads');
export const BPF_DIR = join(ROOT, 'bpf');

/** Digest of a source folder's files: what its build output depends on. */
export async function sourceDigest(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((f) => /\.(c|h)$|^Makefile$/.test(f)).sort();
  const parts = await Promise.all(names.map(async (n) => `${n}\0${await readFile(join(dir, n), 'utf8')}`));
  return sha256(...parts).slice(0, 16);
}

export interface Workloads {
  nop: string;
  execbench: string;
  digest: string;
}

/** nop and execbench, built once per source digest. */
export async function buildWorkloads(logDir: string): Promise<Workloads> {
  const digest = await sourceDigest(WORKLOADS_DIR);
  const out = cachePath('workloads', digest);
  const built = { nop: join(out, 'nop'), execbench: join(out, 'execbench'), digest };
  await withLock(`${out}.lock`, 'workloads', async () => {
    if (existsSync(built.nop) && existsSync(built.execbench)) return;
    await runLogged('make', ['-C', WORKLOADS_DIR, `OUT=${out}`], { what: 'building workloads/', log: join(logDir, 'workloads.log') });
  });
  return built;
}

export interface BpfTools {
  /** tool name -> loader binary (the BPF object is embedded in it). */
  loaders: Record<string, string>;
  digest: string;
}

/**
 * The BPF tools, compiled against a vmlinux.h generated from the kernel's own
 * BTF. CO-RE relocations make the objects portable, but generating the header
 * from the target kernel keeps the build honest about what that kernel has.
 */
export async function buildBpfTools(tools: string[], kernel: BuiltKernel, logDir: string): Promise<BpfTools> {
  const digest = await sourceDigest(BPF_DIR);
  const out = cachePath('bpf', `${digest}-${kernel.configHash}`);
  const loaders = Object.fromEntries(tools.map((t) => [t, join(out, t)]));
  await withLock(`${out}.lock`, 'bpf tools', async () => {
    if (tools.every((t) => existsSync(join(out, t)))) return;
    await runLogged('make', ['-C', BPF_DIR, `OUT=${out}`, `VMLINUX_BTF=${kernel.btf}`, `TOOLS=${tools.join(' ')}`], {
      what: `building bpf/ against kernel ${kernel.variant}`,
      log: join(logDir, 'bpf.log'),
    });
  });
  return { loaders, digest };
}
