/**
 * The report's first section: each scenario's exec latency beside its CPU
 * cost (reports/latency.ts), and where each CPU overhead goes by task, with
 * the latency overhead marked on the same axis.
 */
import type { ScenarioSummary, Summary } from '../summary.ts';
import { esc } from './escape.ts';
import { pctInterval, signedPct, us, usInterval, verdictClass, verdictText } from './format.ts';
import type { StackRow } from './profile-specs.ts';

type Table = (id: string, head: string[], rows: string[][], caption?: string) => string;

/** The scenario each one's overhead is taken against, when both have latencies. */
function withBaseline(summary: Summary): [ScenarioSummary, ScenarioSummary][] {
  return summary.scenarios.flatMap((s) => {
    const base = s.latency?.overhead ? summary.scenarios.find((b) => b.name === s.latency!.overhead!.against) : undefined;
    return base?.latency ? [[s, base] as [ScenarioSummary, ScenarioSummary]] : [];
  });
}

/** The plot's rows: each group's added µs per exec against the baseline, and the latency overhead in µs per exec. */
export function latencyStacks(summary: Summary): { parts: StackRow[]; latency: { scenario: string; deltaUs: number }[]; order: string[] } {
  const pairs = withBaseline(summary);
  const parts = pairs.flatMap(([s, b]) => {
    const mine = s.latency!.by_group_ns;
    const theirs = b.latency!.by_group_ns;
    return [...new Set([...Object.keys(mine), ...Object.keys(theirs)])].map((part) => ({ scenario: s.name, part, deltaUs: ((mine[part] ?? 0) - (theirs[part] ?? 0)) / 1000 }));
  });
  const latency = pairs.map(([s, b]) => ({ scenario: s.name, deltaUs: (s.latency!.centre.ns - b.latency!.centre.ns) / 1000 }));
  return { parts, latency, order: pairs.map(([s]) => s.name) };
}

function overheadCell(o: NonNullable<ScenarioSummary['overhead']> | null): string {
  if (!o) return 'baseline';
  const cls = verdictClass(o.verdict);
  return `${signedPct(o.pct)} <span class="ci">${pctInterval(o.ci95_pct)}</span> <span class="verdict ${cls}">${esc(verdictText(o))}</span>`;
}

export function latencySection(summary: Summary, figures: string[], table: Table): string {
  const measured = summary.scenarios.filter((s) => s.latency);
  if (!measured.length) {
    return `<section id="latency"><h2>Exec latency and CPU cost</h2><p>Exec latency was not measured in ${summary.runs.length > 1 ? 'these runs' : 'this run'} (made before every run recorded the kernel's accounting): only the CPU cost is shown below.</p></section>`;
  }
  const head = ['scenario', 'exec latency µs <span class="ci">[95 % CI]</span>', `latency vs baseline <span class="ci">[95 % CI]</span>`, 'CPU cost µs <span class="ci">[95 % CI]</span>', `CPU cost vs baseline <span class="ci">[95 % CI]</span>`, 'stalled for the CPU, µs per exec'];
  const rows = measured.map((s) => [
    esc(s.name),
    `${us(s.latency!.centre.ns)} <span class="ci">${usInterval(s.latency!.centre.ci95_ns)}</span>`,
    `${overheadCell(s.latency!.overhead)}${s.latency!.overhead && s.latency!.overhead.against !== summary.baseline ? ` <span class="ci">vs ${esc(s.latency!.overhead.against)}</span>` : ''}`,
    `${us(s.centre.ns)} <span class="ci">${usInterval(s.centre.ci95_ns)}</span>`,
    overheadCell(s.overhead),
    us(s.latency!.stall_ns),
  ]);
  const groups = [...new Set(measured.flatMap((s) => Object.keys(s.latency!.by_group_ns)))];
  const byTask = table(
    'latency-tasks',
    ['scenario', ...groups.map(esc)],
    measured.map((s) => [esc(s.name), ...groups.map((g) => us(s.latency!.by_group_ns[g] ?? 0))]),
    'µs of instruction-time per exec, by task, from the kernel\'s own accounting (/proc/PID/schedstat) between the first measured sample and the end of the last; the rows add up to the loop\'s time. Interrupts are not timed apart: the kernel charges them to the task they interrupt, and softirqs deferred to ksoftirqd show under its group.',
  );
  return `<section id="latency"><h2>Exec latency and CPU cost</h2>
<p>Two figures per scenario. The <b>CPU cost</b> is the loop's time per exec on the guest's one CPU: every task's work, the daemons' included, is what the machine pays for an exec, and what the exec's caller waits for when no core is spare. The <b>exec latency</b> is the same time less the time the exec'ing tasks (execbench, the programs it execs and its seccomp supervisor, in a cgroup of their own) had a task ready to run while another task held the CPU, as the kernel's pressure accounting measures it (cpu.pressure "full"): what the caller waits for when spare cores run auditd, kauditd or a BPF logger beside it. A wait that is not for the CPU, such as the seccomp supervisor's answer or a full audit backlog, stays in the latency.</p>
${table('latency-table', head, rows)}
${figures.join('\n')}
${byTask}
</section>`;
}
