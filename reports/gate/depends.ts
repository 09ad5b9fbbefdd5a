/**
 * Whether a baseline and a current run can be compared at all: same mode, every
 * baseline scenario present, and the same kernels, QEMU, workload, BPF code and
 * workload options (depends_on). Pure: returns what differs; refusal() turns
 * that into the error the gate stops with.
 */

import { usageError, type BenchError } from '../../lib/errors.ts';
import type { Baseline } from './baseline.ts';

/**
 * What a mismatch is about: the kernel's source (package version or tarball
 * digest), its config, the code built or run around it (the suite's kernel
 * patches, QEMU, workload, BPF), or the workload's options and layout.
 */
export type MismatchKind = 'source' | 'config' | 'code' | 'workload';

/** One field that differs between the baseline and the current run, values as displayed. */
export interface Mismatch {
  /** Dotted path in the baseline format, e.g. depends_on.kernels.audit. */
  field: string;
  kind: MismatchKind;
  baseline: string;
  current: string;
}

const KIND_WORDS: Record<MismatchKind, string> = {
  source: 'kernel source',
  config: 'kernel config',
  code: 'code',
  workload: 'workload',
};

/** How the current run relates to the baseline, before any statistics. */
export interface DependencyCheck {
  /** depends_on.mode when the modes differ: never comparable. */
  mode: Mismatch | null;
  /** Baseline scenarios the current run lacks: nothing to gate them with. */
  missing: string[];
  /** Scenarios only in the current run: reported as new, not gated. */
  added: string[];
  /** Other differences; the gate refuses them unless told to allow them. */
  mismatches: Mismatch[];
}

const display = (v: string | number | null | undefined) => (v === undefined ? 'absent' : v === null ? 'null' : String(v));

/** Compares the current run's dependencies with the baseline's. */
export function checkDependencies(baseline: Baseline, current: Baseline): DependencyCheck {
  const b = baseline.depends_on;
  const c = current.depends_on;
  const mismatches: Mismatch[] = [];
  const compare = (kind: MismatchKind, field: string, x: string | number | null | undefined, y: string | number | null | undefined) => {
    if (x !== y) mismatches.push({ field, kind, baseline: display(x), current: display(y) });
  };
  const names = Object.keys(baseline.scenarios);
  const present = names.filter((n) => n in current.scenarios);

  // Kernels only the current run has serve only its new scenarios, which are not gated.
  const variants = Object.keys(b.kernels);
  if (b.kernel_sources && c.kernel_sources) {
    for (const v of variants) compare('source', `depends_on.kernel_sources.${v}`, b.kernel_sources[v], c.kernel_sources[v]);
    // The same sources with another id: the suite's kernel patches changed.
    if (!mismatches.length) compare('code', 'depends_on.kernel_source', b.kernel_source, c.kernel_source);
  } else {
    compare('source', 'depends_on.kernel_source', b.kernel_source, c.kernel_source);
  }
  for (const v of variants) compare('config', `depends_on.kernels.${v}`, b.kernels[v], c.kernels[v]);
  compare('code', 'depends_on.qemu', b.qemu, c.qemu);
  compare('code', 'depends_on.workload_digest', b.workload_digest, c.workload_digest);
  // A baseline without BPF scenarios does not depend on the BPF code.
  if (b.bpf_digest !== null) compare('code', 'depends_on.bpf_digest', b.bpf_digest, c.bpf_digest);
  // A fixed layout is one draw of the layouts a random one samples: the figures differ by more than noise.
  compare('workload', 'depends_on.layout', b.layout, c.layout);
  // Another number of kernel links maps some seeds to other links: those boots no longer match.
  compare('workload', 'depends_on.kernel_links', b.kernel_links, c.kernel_links);
  // Split or whole, a seed's boots are other draws: the same seed no longer pairs.
  compare('workload', 'depends_on.boots', b.boots ?? 'whole', c.boots ?? 'whole');
  for (const name of present) {
    const bw = b.workloads[name];
    const cw = c.workloads[name];
    for (const key of ['execs', 'samples', 'warmup', 'warmupMax', 'ldPreload', 'envPages'] as const) {
      compare('workload', `depends_on.workloads.${name}.${key}`, bw?.[key], cw?.[key]);
    }
    compare('workload', `scenarios.${name}.kernel`, baseline.scenarios[name]!.kernel, current.scenarios[name]!.kernel);
  }
  return {
    mode: b.mode === c.mode ? null : { field: 'depends_on.mode', kind: 'code', baseline: b.mode, current: c.mode },
    missing: names.filter((n) => !(n in current.scenarios)),
    added: Object.keys(current.scenarios).filter((n) => !(n in baseline.scenarios)),
    mismatches,
  };
}

/** "kernel source depends_on.kernel_sources.noaudit (baseline vs current)" for a message. */
export const describeMismatch = (m: Mismatch) => `${KIND_WORDS[m.kind]} ${m.field} (${m.baseline} vs ${m.current})`;

/** The mismatches in one phrase, the kernel sources first: "kernel source ...; kernel config ...". */
export function describeMismatches(ms: Mismatch[]): string {
  const order: MismatchKind[] = ['source', 'config', 'code', 'workload'];
  return order.flatMap((k) => ms.filter((m) => m.kind === k)).map(describeMismatch).join('; ');
}

/**
 * The error the gate stops with (exit 2), or null to go on. A mode mismatch and
 * missing scenarios always stop it; other mismatches unless allowMismatch.
 */
export function refusal(check: DependencyCheck, allowMismatch: boolean, where: { baseline: string; current: string }): BenchError | null {
  if (check.mode) {
    return usageError(
      `baseline ${where.baseline} is ${check.mode.baseline} mode and current ${where.current} is ${check.mode.current} mode (depends_on.mode); `
        + 'the modes measure different things and never compare, not even with --allow-mismatch',
    );
  }
  if (check.missing.length) {
    const s = check.missing.length > 1 ? 's' : '';
    return usageError(`scenario${s} ${check.missing.join(', ')} of baseline ${where.baseline} missing from current run ${where.current}; run ${check.missing.length > 1 ? 'them' : 'it'} too, or refresh the baseline`);
  }
  if (check.mismatches.length && !allowMismatch) {
    const sources = check.mismatches.some((m) => m.kind === 'source') ? ' (another kernel source: make the baseline again on this one, or run on the baseline\'s)' : '';
    return usageError(`baseline and current differ in ${describeMismatches(check.mismatches)}${sources}; rerun or pass --allow-mismatch`);
  }
  return null;
}
