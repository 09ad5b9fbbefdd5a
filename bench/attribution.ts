import type { AttributionRow, BpfRuntimeRow } from '../lib/results.ts';

/** One end of the profiled window: execbench's lines and the snapshot of workloads/attribution.c, parsed. */
interface Snapshot {
  windowNs: number;
  /** execbench's own CPU time, brought up to date by the clock read (attribution.c). */
  selfNs: number;
  tasks: Map<number, { ppid: number; runNs: number; delayNs: number; comm: string }>;
  /** /proc/schedstat over all CPUs: every task's run time and run delay, exited ones included; null when the line is missing. */
  rq: { cpus: number; runNs: number; delayNs: number } | null;
  /** cpu.pressure of the workload's cgroup, µs; null where the guest has none (a kernel without PSI). */
  psi: { someUs: number; fullUs: number } | null;
  /** Run time of the children execbench had waited for, in ns (the kernel gives microseconds). */
  childrenNs: number;
  interrupts: number;
  softirqs: number;
  bpf: Map<number, { type: number; name: string; runTimeNs: number; runCount: number }>;
}

const emptySnapshot = (): Snapshot => ({ windowNs: NaN, selfNs: NaN, tasks: new Map(), rq: null, psi: null, childrenNs: 0, interrupts: 0, softirqs: 0, bpf: new Map() });

/** Both snapshots, or a message naming what is missing or malformed. */
export function parseSnapshots(lines: string[]): { start: Snapshot; end: Snapshot } | string {
  const snaps = { start: emptySnapshot(), end: emptySnapshot() };
  for (const line of lines) {
    const [kind, at, ...f] = line.split(' ');
    if (at !== 'start' && at !== 'end') return `bad attribution line "${line.slice(0, 80)}"`;
    const s = snaps[at];
    const n = f.map(Number);
    if (kind === 'window' && f.length === 3) [s.windowNs, s.selfNs, s.childrenNs] = [n[0]!, n[1]!, n[2]! * 1000];
    else if (kind === 'task' && f.length >= 6) s.tasks.set(n[0]!, { ppid: n[1]!, runNs: n[2]!, delayNs: n[3]!, comm: f.slice(5).join(' ') });
    else if (kind === 'rq' && f.length === 3) s.rq = { cpus: n[0]!, runNs: n[1]!, delayNs: n[2]! };
    else if (kind === 'psi' && f.length === 2) s.psi = { someUs: n[0]!, fullUs: n[1]! };
    else if (kind === 'irqs' && f.length === 2) [s.interrupts, s.softirqs] = [n[0]!, n[1]!];
    else if (kind === 'bpf' && f.length === 5) s.bpf.set(n[0]!, { type: n[1]!, runTimeNs: n[2]!, runCount: n[3]!, name: f[4]! });
    else return `bad attribution line "${line.slice(0, 80)}"`;
  }
  if (!Number.isFinite(snaps.start.windowNs) || !Number.isFinite(snaps.end.windowNs)) return 'the attribution snapshots are missing or cut short';
  if (!snaps.start.rq || !snaps.end.rq) return 'the attribution snapshots lack /proc/schedstat\'s totals (a kernel without CONFIG_SCHEDSTATS?)';
  return snaps;
}

export interface Attribution {
  tasks: AttributionRow[];
  bpf: BpfRuntimeRow[];
  /** Interrupts and softirqs raised in the window: counted by the kernel, not timed (attribution.c). */
  interrupts: number;
  softirqs: number;
  windowNs: number;
  /**
   * The workload cgroup's cpu.pressure "full" time in the window: some
   * exec'ing task runnable while none of them ran. Null where the guest
   * reported none (a kernel without PSI).
   */
  stallNs: number | null;
  /** CPUs the guest's kernel had online (its /proc/schedstat), which the rows add up over. */
  cpus: number;
}

/**
 * Where the window's instruction-time went, task by task, in groups, with
 * each task's run delay; what no task ran is idle (QEMU's clock jumping to
 * the next timer while the vCPU halts), taken as the window times the CPUs
 * less the tasks, so that a boot's rows add up to that (a negative idle says the
 * accounting overran it, which the statistics stage refuses). The exited
 * children's run delay is the kernel's total less every live task's.
 * `loggers` are the comms of the scenario's BPF loaders.
 */
export function attribute(
  snaps: { start: Snapshot; end: Snapshot },
  where: { scenario: string; kernel: string; boot: number; execs: number },
  loggers: Set<string>,
): Attribution {
  const { start, end } = snaps;
  const execbench = [...end.tasks].find(([, t]) => t.comm === 'execbench' && end.tasks.get(t.ppid)?.comm !== 'execbench')?.[0];
  const group = (pid: number, comm: string, ppid: number): string => {
    if (pid === execbench) return 'workload';
    if (comm === 'execbench' && ppid === execbench) return 'seccomp supervisor';
    if (comm === 'auditd' || comm === 'kauditd') return comm;
    if (loggers.has(comm)) return 'bpf logger';
    if (comm.startsWith('ksoftirqd/')) return 'softirq threads';
    return 'other tasks';
  };
  const row = (g: string, task: string, pid: number | null, ns: number, delayNs: number): AttributionRow => ({ ...where, group: g, task, pid, ns, delayNs });
  const tasks: AttributionRow[] = [];
  let liveDelay = 0;
  for (const [pid, t] of end.tasks) {
    const before = start.tasks.get(pid);
    const ns = pid === execbench ? end.selfNs - start.selfNs : t.runNs - (before?.runNs ?? 0);
    const delay = t.delayNs - (before?.delayNs ?? 0);
    liveDelay += delay;
    if (ns > 0 || delay > 0) tasks.push(row(group(pid, t.comm, t.ppid), t.comm, pid, ns, delay));
  }
  const exitedDelay = end.rq!.delayNs - start.rq!.delayNs - liveDelay;
  tasks.push(row('workload', 'exited children', null, end.childrenNs - start.childrenNs, exitedDelay));
  const windowNs = end.windowNs - start.windowNs;
  const busy = tasks.reduce((sum, r) => sum + r.ns, 0);
  // Every CPU's share of the window: the rows of a boot add up to window x CPUs.
  tasks.push(row('idle', 'idle', null, windowNs * end.rq!.cpus - busy, 0));
  tasks.sort((a, b) => b.ns - a.ns);
  const bpf: BpfRuntimeRow[] = [];
  for (const [id, p] of end.bpf) {
    const before = start.bpf.get(id);
    bpf.push({
      ...where, progId: id, progType: p.type, name: p.name,
      runCount: p.runCount - (before?.runCount ?? 0), runTimeNs: p.runTimeNs - (before?.runTimeNs ?? 0),
    });
  }
  const stallNs = start.psi && end.psi ? (end.psi.fullUs - start.psi.fullUs) * 1000 : null;
  return { tasks, bpf, interrupts: end.interrupts - start.interrupts, softirqs: end.softirqs - start.softirqs, windowNs, stallNs, cpus: end.rq!.cpus };
}
