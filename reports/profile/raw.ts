import { readFile } from 'node:fs/promises';
import { usageError } from '../../lib/errors.ts';

/** One translation block's line of a raw profile (profiler/krsi_profile.c). */
export interface RawBlock {
  vaddr: bigint;
  insns: number;
  /** Guest instructions it ran between the marks. */
  count: number;
  bytes: Buffer;
}

export interface RawProfile {
  blocks: RawBlock[];
  /** The plugin's own sum, checked against the lines. */
  total: number;
}

/** Reads a raw profile; a file cut short or edited is refused, naming the line. */
export async function readRawProfile(path: string): Promise<RawProfile> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw usageError(`cannot read the profile ${path}: ${err.code ?? err.message}`);
  });
  const lines = text.split('\n');
  if (lines[0] !== 'krsi-profile 1') throw usageError(`${path}: not a krsi-bench profile (first line "${lines[0]!.slice(0, 40)}")`);
  const blocks: RawBlock[] = [];
  let total: number | null = null;
  let sum = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const f = line.split(' ');
    if (f[0] === 'tb' && f.length === 5 && /^[0-9a-f]+$/.test(f[1]!) && /^([0-9a-f]{2})*$/.test(f[4]!)) {
      const count = Number(f[3]);
      blocks.push({ vaddr: BigInt(`0x${f[1]}`), insns: Number(f[2]), count, bytes: Buffer.from(f[4]!, 'hex') });
      sum += count;
    } else if (f[0] === 'total' && f.length === 3) total = Number(f[1]);
    else throw usageError(`${path}:${i + 1}: not a profile line: "${line.slice(0, 60)}"`);
  }
  if (total === null) throw usageError(`${path}: cut short (no total line)`);
  if (total !== sum) throw usageError(`${path}: its blocks add up to ${sum} instructions, its total line says ${total}`);
  return { blocks, total };
}
