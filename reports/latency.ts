/**
 * Exec latency beside CPU cost, from the kernel's own accounting around the
 * measured samples (workloads/attribution.c: attribution.csv, and each boot's
 * stallNs in run.json).
 *
 * The guest has one CPU, so every task's work lands between execbench's clock
 * reads: the loop's time per exec is what the machine pays for an exec and
 * what the exec's caller waits for on a saturated machine (CPU cost). On a
 * machine with spare cores, auditd, kauditd or a BPF logger would run beside
 * the exec'ing process instead of in front of it. What the caller waits for
 * there (exec latency) is the loop's time less the time the exec'ing tasks
 * were ready to run while another task held the CPU. The exec'ing tasks
 * (execbench, the programs it execs, its seccomp supervisor) run in a cgroup
 * of their own, and the kernel's pressure accounting measures exactly that
 * time: cpu.pressure "full", some task of the cgroup runnable and none of
 * them running. Per-task run delay (schedstat, the rows' delay_ns) cannot:
 * it also counts a parent waiting while its own child runs, which is the
 * exec's own work, not another task's. A wait that is not for the CPU, such
 * as a child blocked until the seccomp supervisor answers, or until audit's
 * backlog drains, is no stall, and stays in.
 *
 * Assumptions: the work left out could run on another core at no extra cost
 * (no cross-CPU wake-up or cache transfer is added), and nothing the daemons
 * do there delays the exec'ing tasks.
 */

import { usageError } from '../lib/errors.ts';
import { RESULT_FILES, type AttributionRow } from '../lib/results.ts';
import type { LoadedRun } from './load.ts';

/** How far a boot's accounting may overrun its window, or its window miss the samples' time, in percent. */
export const ACCOUNTING_TOLERANCE_PCT = 0.5;

/** One boot of one scenario, from its attribution rows. */
export interface BootAccounting {
  run: string;
  boot: number;
  seed: number | null;
  /** Execs of nop in the window. */
  execs: number;
  /** From the snapshot before the first measured sample to the one after the last: every row added up, over the CPUs. */
  windowNs: number;
  /** cpu.pressure "full" of the exec'ing tasks' cgroup in the window: what latency leaves out. */
  stallNs: number;
  /** The exec'ing tasks' schedstat run delay in the window, their waits for each other included. */
  runDelayNs: number;
  /** Run time per group in the window (idle included), ns. */
  groups: Record<string, number>;
  /**
   * procs x (window - stall) / execs: the time one exec takes its caller,
   * less the time the exec'ing tasks stalled for a CPU another task held.
   * procs chains run at once in a burst, one otherwise.
   */
  latencyNs: number;
  /** window / execs: the loop's time per exec over the same window, as the samples measure it. */
  cpuNs: number;
}

/** The group of the exec'ing tasks (bench/attribution.ts). */
export const WORKLOAD_GROUP = 'workload';
/** Groups that never hold the CPU while the exec'ing tasks' cgroup stalls: its own tasks, and idle. */
const STALL_FREE = new Set([WORKLOAD_GROUP, 'seccomp supervisor', 'idle']);

/**
 * Each scenario's boots, from a run's attribution rows; null when the run
 * has none (made before every run recorded them) or the rows lack run
 * delays. A boot whose rows overrun its window, or whose window is not the
 * time its samples took, is refused naming the boot. Boots of guests with
 * more than one CPU are left out (see multiCpuScenarios).
 */
export function runAccounting(run: LoadedRun): Map<string, BootAccounting[]> | null {
  const rows = run.attribution;
  if (!rows || rows.length === 0 || rows.some((r) => r.delayNs === null)) return null;
  const label = run.meta?.runId ?? run.dir;
  const file = `${run.dir}/${RESULT_FILES.attribution}`;
  const guests = new Map((run.meta?.guests ?? []).map((g) => [`${g.scenario}/${g.boot}`, g]));
  const byBoot = new Map<string, AttributionRow[]>();
  for (const r of rows) {
    const key = `${r.scenario}/${r.boot}`;
    byBoot.set(key, [...(byBoot.get(key) ?? []), r]);
  }
  if ([...byBoot.keys()].some((key) => guests.get(key)?.stallNs === undefined)) return null;
  const workloads = new Map((run.meta?.scenarios ?? []).map((s) => [s.name, s.workload]));
  const sampleNs = new Map<string, number>();
  for (const s of run.samples) {
    if (s.warmup) continue;
    const key = `${s.scenario}/${s.boot}`;
    sampleNs.set(key, (sampleNs.get(key) ?? 0) + s.nsPerExec * s.execs);
  }
  const out = new Map<string, BootAccounting[]>();
  for (const [key, mine] of byBoot) {
    const [scenario, boot] = [mine[0]!.scenario, mine[0]!.boot];
    const where = `${file}: ${scenario} boot ${boot}`;
    const w = workloads.get(scenario);
    const g = guests.get(key)!;
    if ((g.onlineCpus ?? 1) > 1) continue;
    const b = bootAccounting(mine, g.stallNs!, where, { cpus: g.onlineCpus ?? w?.cpus ?? 1, procs: w?.procs ?? 1 });
    const loop = sampleNs.get(key);
    if (loop === undefined) throw usageError(`${where} has accounting rows but no measured samples`);
    const off = ((b.windowNs - loop) / loop) * 100;
    if (Math.abs(off) > ACCOUNTING_TOLERANCE_PCT) {
      throw usageError(`${where}: its accounting window (${b.windowNs} ns) is not the time its samples took (${Math.round(loop)} ns, ${off.toFixed(2)} % off; tolerance ${ACCOUNTING_TOLERANCE_PCT} %)`);
    }
    out.set(scenario, [...(out.get(scenario) ?? []), { run: label, boot, seed: g.seed ?? null, ...b }]);
  }
  return out;
}

/**
 * The scenarios of a run whose guests had more than one CPU online: their exec
 * latency is not measured. Under icount QEMU runs the vCPUs in turn on one
 * host thread with one instruction clock, so two vCPUs share one CPU's
 * throughput in guest time, and a wake-up sent to the other vCPU waits for the
 * sender's turn to end: the exec'ing tasks stall while a CPU idles (measured:
 * 20 ms of stall beside 2.4 ms of other tasks and 57 ms of idle, 400 execs),
 * which is QEMU's scheduling, not the guest's. Their CPU cost stands.
 */
export function multiCpuScenarios(run: LoadedRun): Set<string> {
  return new Set((run.meta?.guests ?? []).filter((g) => (g.onlineCpus ?? 1) > 1).map((g) => g.scenario));
}

/**
 * One boot's figures from its rows, for a guest of `cpus` CPUs whose execs
 * came from `procs` processes at once; `where` names the boot in the error
 * a boot whose rows do not add up gets.
 */
export function bootAccounting(rows: AttributionRow[], stallNs: number, where: string, shape: { cpus: number; procs: number } = { cpus: 1, procs: 1 }): Omit<BootAccounting, 'run' | 'boot' | 'seed'> {
  const execs = rows[0]!.execs;
  const capacity = rows.reduce((sum, r) => sum + r.ns, 0);
  const windowNs = capacity / shape.cpus;
  const idle = rows.filter((r) => r.group === 'idle').reduce((sum, r) => sum + r.ns, 0);
  const busy = capacity - idle;
  if (rows.some((r) => r.execs !== execs)) throw usageError(`${where}: its rows disagree on the execs of the window`);
  if (capacity <= 0 || idle < -(ACCOUNTING_TOLERANCE_PCT / 100) * capacity) {
    throw usageError(`${where}: its tasks ran ${busy} ns in a window of ${capacity} ns of CPU (the accounting rows do not add up; tolerance ${ACCOUNTING_TOLERANCE_PCT} %)`);
  }
  const negative = rows.find((r) => (r.delayNs ?? 0) < -(ACCOUNTING_TOLERANCE_PCT / 100) * windowNs);
  if (negative) throw usageError(`${where}: ${negative.task} has a run delay of ${negative.delayNs} ns (the accounting rows do not add up)`);
  // Whenever the cgroup stalled, some task outside it held the CPU: the stall fits in their run time.
  const outside = rows.filter((r) => !STALL_FREE.has(r.group)).reduce((sum, r) => sum + r.ns, 0);
  if (stallNs < 0 || stallNs > outside + (ACCOUNTING_TOLERANCE_PCT / 100) * capacity) {
    throw usageError(`${where}: the exec'ing tasks stalled ${stallNs} ns for the CPU while other tasks ran ${outside} ns (the accounting does not add up; tolerance ${ACCOUNTING_TOLERANCE_PCT} %)`);
  }
  const runDelayNs = rows.filter((r) => r.group === WORKLOAD_GROUP).reduce((sum, r) => sum + (r.delayNs ?? 0), 0);
  const groups: Record<string, number> = {};
  for (const r of rows) groups[r.group] = (groups[r.group] ?? 0) + r.ns;
  return { execs, windowNs, stallNs, runDelayNs, groups, latencyNs: (shape.procs * (windowNs - stallNs)) / execs, cpuNs: windowNs / execs };
}
