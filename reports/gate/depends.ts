/**
 * Whether a baseline and a current run can be compared at all: same mode, every
 * baseline scenario present, and the same kernels, QEMU, workload, BPF code and
 * workload options (depends_on). Pure: returns what differs; refusal() turns
 * that into the error the gate stops with.
 */

import { usageError, type BenchError } from '../../lib/errors.ts';
import type { Baseline } from './baseline.ts';

/** One field that differs between the baseline and the current run, values as displayed. */
export interface Mismatch {
  /** Dotted path in the baseline format, e.g. depends_on.kernels.audit. */
  field: string;
  baseline: string;
  current: string;
}

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
  const compare = (field: string, x: string | number | null | undefined, y: string | number | null | undefined) => {
    if (x !== y) mismatches.push({ field, baseline: display(x), current: display(y) });
  };
  const names = Object.keys(baseline.scenarios);
  const present = names.filter((n) => n in current.scenarios);

  compare('depends_on.kernel_source', b.kernel_source, c.kernel_source);
  // Kernels only the current run has serve only its new scenarios, which are not gated.
  for (const [variant, hash] of Object.entries(b.kernels)) compare(`depends_on.kernels.${variant}`, hash, c.kernels[variant]);
  compare('depends_on.qemu', b.qemu, c.qemu);
  // A fixed layout is one draw of the layouts a random one samples: the figures differ by more than noise.
  compare('depends_on.layout', b.layout, c.layout);
  compare('depends_on.workload_digest', b.workload_digest, c.workload_digest);
  // A baseline without BPF scenarios does not depend on the BPF code.
  if (b.bpf_digest !== null) compare('depends_on.bpf_digest', b.bpf_digest, c.bpf_digest);
  for (const name of present) {
    const bw = b.workloads[name];
    const cw = c.workloads[name];
    for (const key of ['execs', 'samples', 'warmup', 'warmupMax', 'ldPreload', 'envPages'] as const) {
      compare(`depends_on.workloads.${name}.${key}`, bw?.[key], cw?.[key]);
    }
    compare(`scenarios.${name}.kernel`, baseline.scenarios[name]!.kernel, current.scenarios[name]!.kernel);
  }
  return {
    mode: b.mode === c.mode ? null : { field: 'depends_on.mode', baseline: b.mode, current: c.mode },
    missing: names.filter((n) => !(n in current.scenarios)),
    added: Object.keys(current.scenarios).filter((n) => !(n in baseline.scenarios)),
    mismatches,
  };
}

/** "field (baseline vs current)" for a message. */
export const describeMismatch = (m: Mismatch) => `${m.field} (${m.baseline} vs ${m.current})`;

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
    return usageError(`baseline and current differ in ${check.mismatches.map(describeMismatch).join(', ')}; rerun or pass --allow-mismatch`);
  }
  return null;
}
