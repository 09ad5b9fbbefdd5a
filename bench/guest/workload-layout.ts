import { createHash } from 'node:crypto';
import { mulberry32, shuffled } from '../../lib/prng.ts';

/**
 * Where execbench's code and data fall within their pages, drawn per boot.
 *
 * KASLR and mmap randomisation move whole pages; they never move an object
 * within its page. Which of execbench's objects share a page decides how many
 * copy-on-write and fault-around faults a child takes between fork and execve,
 * and under icount that is work: a 256-byte array added to execbench once moved
 * the fixed layout's vanilla by 3 % (docs/methodology.md). A static program has
 * that layout from its link, so a boot of a random layout links execbench again:
 * padding of each kind (workloads/layout_pad.c) in an object placed among
 * execbench's own objects, in an order drawn with the padding.
 */
export interface WorkloadLayout {
  /** Bytes of padding in .text, .rodata, .data and .bss: multiples of 16 below a page. */
  textPad: number;
  rodataPad: number;
  dataPad: number;
  bssPad: number;
  /** The link order of execbench's objects, the padding's among them. */
  order: string[];
}

/** execbench's objects as workloads/Makefile keeps them, and the padding's. */
export const LAYOUT_OBJECTS = ['execbench.o', 'seccomp.o', 'layout_pad.o'] as const;

const PAGE = 4096;
const STEP = 16;

/**
 * The layout of boot seed `seed`: from sha256("krsi-bench workload layout <seed>"),
 * two bytes per padding and four for the order. Like the CRNG's seed
 * (crng-seed.ts), the derivation is part of the method and pinned by a test.
 */
export function drawWorkloadLayout(seed: number): WorkloadLayout {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`drawWorkloadLayout: seed must be a whole number >= 0, got ${seed}`);
  const h = createHash('sha256').update(`krsi-bench workload layout ${seed}`).digest();
  const pad = (at: number) => (h.readUInt16LE(at) % (PAGE / STEP)) * STEP;
  return {
    textPad: pad(0), rodataPad: pad(2), dataPad: pad(4), bssPad: pad(6),
    order: shuffled(LAYOUT_OBJECTS, mulberry32(h.readUInt32LE(8))),
  };
}

/** A short name of a layout, for its cache directory and the logs: "t256-r16-d0-b4080-seccomp.execbench.layout_pad". */
export function layoutName(l: WorkloadLayout): string {
  return `t${l.textPad}-r${l.rodataPad}-d${l.dataPad}-b${l.bssPad}-${l.order.map((o) => o.replace(/\.o$/, '')).join('.')}`;
}
