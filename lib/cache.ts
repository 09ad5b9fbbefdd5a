import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Built kernels, unpacked sources, guest tools and BPF objects live outside the
 * checkout so that every clone and every run shares them. KRSI_BENCH_CACHE
 * overrides the location.
 */
export function cacheRoot(): string {
  if (process.env.KRSI_BENCH_CACHE) return process.env.KRSI_BENCH_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'krsi-bench');
}

export function cachePath(...parts: string[]): string {
  return join(cacheRoot(), ...parts);
}

export function sha256(...chunks: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
