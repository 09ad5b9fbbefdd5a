/**
 * The report's profile section (runs of npm run profile): the breakdown by
 * task, the BPF programs' run time beside each overhead, the profile against
 * the measured time, and the functions that grew most against each baseline.
 */
import type { ProfileSummary, ScenarioProfile } from '../profile/summarize.ts';
import { esc } from './escape.ts';
import type { StackRow } from './profile-specs.ts';

const us = (ns: number, digits = 2) => (ns / 1000).toFixed(digits);
const signedUs = (ns: number) => `${ns >= 0 ? '+' : ''}${us(ns)}`;

/** The baseline's value of a task group or code kind, 0 where it has none. */
function deltas(s: ScenarioProfile, base: ScenarioProfile, parts: (p: ScenarioProfile) => Map<string, number>): StackRow[] {
  const mine = parts(s);
  const theirs = parts(base);
  const names = [...new Set([...mine.keys(), ...theirs.keys()])];
  return names.map((part) => ({ scenario: s.scenario, part, deltaUs: ((mine.get(part) ?? 0) - (theirs.get(part) ?? 0)) / 1000 }));
}

const byTask = (p: ScenarioProfile) => new Map(p.tasks.map((t) => [t.group, t.perExec]));
const byKind = (p: ScenarioProfile) => new Map(Object.entries(p.groups));

/** The plots' rows: every scenario with a baseline profiled beside it. */
export function profileStacks(profile: ProfileSummary): { tasks: StackRow[]; kinds: StackRow[]; order: string[] } {
  const find = (name: string) => profile.scenarios.find((s) => s.scenario === name);
  const pairs = profile.scenarios.flatMap((s) => {
    const base = s.against ? find(s.against) : undefined;
    return base ? [[s, base] as const] : [];
  });
  return {
    tasks: pairs.flatMap(([s, b]) => deltas(s, b, byTask)),
    kinds: pairs.flatMap(([s, b]) => deltas(s, b, byKind)),
    order: pairs.map(([s]) => s.scenario),
  };
}

type Table = (id: string, head: string[], rows: string[][], caption?: string) => string;

export function profileSection(profile: ProfileSummary | null, figures: string[], table: Table): string {
  if (!profile) return '';
  const find = (name: string | null) => profile.scenarios.find((s) => s.scenario === name);
  const groups = [...new Set(profile.scenarios.flatMap((s) => s.tasks.map((t) => t.group)))];
  const tasks = table(
    'profile-tasks',
    ['scenario', ...groups.map(esc), 'interrupts', 'softirqs'],
    profile.scenarios.map((s) => [esc(s.scenario), ...groups.map((g) => us(s.tasks.find((t) => t.group === g)?.perExec ?? 0)), s.interruptsPerExec.toFixed(3), s.softirqsPerExec.toFixed(3)]),
    'µs of instruction-time per exec of nop, by task, from the kernel\'s own accounting (/proc/PID/schedstat) between the first measured sample and the end of the last. Interrupts and softirqs are counted per exec: without CONFIG_IRQ_TIME_ACCOUNTING the kernel charges their time to the task they interrupt; softirqs deferred to ksoftirqd show under its group.',
  );
  const bpfRows = profile.scenarios.flatMap((s) => {
    const base = find(s.against);
    const overhead = base ? s.perExec.samples - base.perExec.samples : null;
    return s.bpf.map((b) => [
      esc(s.scenario), esc(b.name), b.runsPerExec.toFixed(3), us(b.nsPerExec, 3),
      overhead === null ? '-' : signedUs(overhead), overhead ? `${((b.nsPerExec / overhead) * 100).toFixed(1)} %` : '-',
    ]);
  });
  const bpf = bpfRows.length
    ? table('profile-bpf', ['scenario', 'program', 'runs per exec', 'µs per exec', 'the scenario\'s overhead, µs per exec', 'share'], bpfRows,
      'Each loaded program\'s run count and run time over the same window (BPF_ENABLE_STATS, on only in profiling boots; it adds two clock reads to every run), beside the scenario\'s overhead in the same boots.')
    : '';
  const agreement = table(
    'profile-agreement',
    ['scenario', 'profile, instructions per exec', 'window, ns per exec', 'idle', 'samples\' mean', 'missing from the profile', 'kernel bytes matched'],
    profile.scenarios.map((s) => [
      esc(s.scenario), s.perExec.profile.toFixed(0), s.perExec.window.toFixed(0), s.perExec.idle.toFixed(0), s.perExec.samples.toFixed(0),
      `${s.bookkeepingPct.toFixed(3)} %${Math.abs(s.bookkeepingPct) > profile.tolerancePct ? ' (beyond the tolerance)' : ''}`, `${s.kernelMatchPct.toFixed(1)} %`,
    ]),
    `The profile's instructions against execbench's clock over the same window, less the time no task ran. Tolerance ±${profile.tolerancePct} %: the plugin counts a block whole when it faults midway. Kernel bytes matched: the share of kernel instructions whose code matched vmlinux at the boot's KASLR offset (the rest is code the kernel patched at boot).`,
  );
  const added = profile.scenarios.filter((s) => s.added.length).map((s) => table(
    `profile-added-${s.scenario}`,
    ['kind', 'binary', 'function', 'added instructions per exec', `in ${esc(s.against!)}`, `in ${esc(s.scenario)}`],
    s.added.slice(0, 10).map((f) => [esc(f.group), esc(f.binary), `<code>${esc(f.function)}</code>`, `+${f.delta.toFixed(0)}`, f.baselinePerExec.toFixed(0), f.perExec.toFixed(0)]),
    `${esc(s.scenario)} against ${esc(s.against!)}: the ten functions that grew most. All functions: <a href="profiles/${esc(s.folded)}">profiles/${esc(s.folded)}</a> (folded stacks: kind;binary;function count, for flamegraph.pl or speedscope).`,
  ));
  return `<section id="profile"><h2>Where the cost goes</h2>
<p>A profiling run (npm run profile): every guest ran under a QEMU TCG plugin that counted the guest instructions of each code location between the first measured sample and the end of the last. Under icount one instruction is one ns of guest time, so the profile is exact and the same for the same seeds. Stacks are not followed (QEMU 7.2's plugin API reads no registers), so functions are flat: their own instructions, not their callees'. A <code>rep</code> string instruction counts once per iteration, as icount counts it: copying a page is 4096 of them.</p>
${figures.join('\n')}
<h3>By task</h3>
${tasks}
${bpf ? `<h3>BPF programs</h3>\n${bpf}` : ''}
<h3>The profile against the measured time</h3>
${agreement}
<h3>The functions that grew</h3>
${added.join('\n')}
</section>`;
}
