/**
 * The gate's text: the one-line headline, the benchstat-style terminal table,
 * gate.md (headline, Markdown table, settings, warnings: a pull-request
 * comment), and what --update prints.
 */

import { explanationMarkdown } from './explain.ts';
import { median } from 'simple-statistics';
import type { Baseline } from './baseline.ts';
import type { ScenarioResult } from './compare.ts';
import type { GateReport } from './gate.ts';

const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
const overheads = (r: Pick<GateReport, 'options'>) => r.options.metric !== 'absolute';
const unitOf = (r: Pick<GateReport, 'options'>) => (overheads(r) ? 'pp' : '%');
/** A scenario's name, with the figure it is about where the gate compared latency. */
const named = (s: ScenarioResult) => (s.figure === undefined ? s.name : `${s.name} (${s.figure === 'cpu' ? 'CPU cost' : 'latency'})`);

/** p-values: three decimals; one significant digit in exponent form below 0.001; below 1e-16, where doubles stop resolving it, "<1e-16". */
export const formatP = (p: number) => (p >= 0.001 ? p.toFixed(3) : p >= 1e-16 ? p.toExponential(0) : '<1e-16');

/** "+5.00 % [+4.91, +5.08]" (absolute) or "+5.00 pp [+4.91, +5.08]" (overhead). */
function formatDelta(s: ScenarioResult, unit: string): string {
  if (s.delta === null || s.ci === null) return '';
  return `${signed(s.delta)} ${unit} [${signed(s.ci[0])}, ${signed(s.ci[1])}]`;
}

/** The old / new cell: median µs (absolute) or overhead % (overhead). */
function formatSide(s: ScenarioResult, which: 'old' | 'new', r: Pick<GateReport, 'options'>): string {
  const side = s[which];
  if (!side) return '-';
  if (r.options.metric === 'absolute') return `${(side.median_ns / 1000).toFixed(3)} µs`;
  if (s.role === 'baseline scenario') return 'baseline';
  return side.overhead_pct === null ? '-' : `${signed(side.overhead_pct)} %`;
}

function verdictCell(s: ScenarioResult): string {
  if (s.role === 'baseline scenario') return 'not gated (baseline scenario of the overhead metric)';
  if (s.role === 'new') return 'new, not gated';
  return s.verdict;
}

/** What was compared, in words: "overhead over vanilla, threshold 1 pp, alpha 0.01". */
function settings(r: Pick<GateReport, 'options'>): string {
  const o = r.options;
  const figure = o.metric === 'both' ? 'CPU cost and exec latency' : o.metric === 'latency' ? 'exec latency' : 'CPU cost';
  const what = overheads(r) ? `${figure} overhead over ${o.baseline_scenario}` : 'absolute medians';
  return `${what}, threshold ${o.threshold} ${unitOf(r)}, alpha ${o.alpha}`;
}

/** The p-value the verdict rests on: of regressed, improved or no change; for inconclusive, of regressed. */
function verdictP(s: ScenarioResult): string {
  if (s.p_holm === null) return '';
  const p = s.verdict === 'improved' ? s.p_holm.improved : s.verdict === 'no change' ? s.p_holm.equivalent : s.p_holm.regressed;
  return formatP(p);
}

/** The one-line verdict of the whole gate. */
export function headline(r: Omit<GateReport, 'headline'>): string {
  const unit = unitOf(r);
  const list = (v: 'regressed' | 'improved') => r.scenarios.filter((s) => s.verdict === v).map((s) => `${named(s)} ${formatDelta(s, unit)}`).join(', ');
  const n = r.counts.gated;
  const of = `${n} scenario${n === 1 ? '' : 's'}`;
  const improved = r.counts.improved ? `; improved: ${list('improved')}` : '';
  const allowed = r.mismatches.length ? `; ${r.mismatches.length} dependency mismatch${r.mismatches.length > 1 ? 'es' : ''} allowed` : '';
  const events = r.event_failures.map((f) => `${f.scenario} logged ${f.logged} of ${f.expected} ${f.source} events${f.lost ? ` (${f.lost} lost)` : ''} in boot${f.boots.length > 1 ? 's' : ''} ${f.boots.join(', ')}`);
  const regressed = r.counts.regressed ? `${r.counts.regressed} of ${of} regressed: ${list('regressed')}` : '';
  const main = r.status === 'fail'
    ? `FAIL: ${[regressed, events.length ? `event check failed: ${events.join('; ')} (see ${r.event_failures[0]!.file})` : ''].filter(Boolean).join('; ')}`
    : `PASS: no regression in ${of}`;
  const open = r.counts.inconclusive ? `; inconclusive (neither beyond nor within the threshold): ${r.scenarios.filter((s) => s.verdict === 'inconclusive').map(named).join(', ')}` : '';
  return `${main}${improved}${open} (${settings(r)})${allowed}`;
}

function row(s: ScenarioResult, r: GateReport): string[] {
  return [
    named(s),
    formatSide(s, 'old', r),
    formatSide(s, 'new', r),
    formatDelta(s, unitOf(r)),
    verdictP(s),
    verdictCell(s),
    s.detectable === null ? '' : `${signed(s.detectable)} ${unitOf(r)}`,
    s.method === null ? '' : s.over_links ? `${s.units} kernel links${s.method === 'boot-paired' ? ' paired' : ''}` : s.method === 'boot-paired' ? `${s.units} seeds paired` : s.method === 'boot-welch' ? `${s.units} boots` : `${s.units} samples`,
  ];
}

function header(r: GateReport): string[] {
  const what = overheads(r) ? 'overhead' : 'median';
  return ['scenario', `old ${what}`, `new ${what}`, `delta (${+(r.options.confidence * 100).toFixed(1)} % CI)`, 'p (Holm)', 'verdict', `detects (${Math.round(r.options.power * 100)} % power)`, 'over'];
}

const describeInput = (i: GateReport['inputs']['baseline']) => `${i.path} (${i.kind === 'baseline file' ? 'baseline file, ' : ''}run ${i.run_id}, revision ${i.suite_revision})`;

/** The terminal table, with the settings above it and warnings and the headline below. */
export function gateTable(r: GateReport): string {
  const rows = [header(r), ...r.scenarios.map((s) => row(s, r))];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || (i >= 3 && i !== 4) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    `gate: ${settings(r)}, Holm over ${r.counts.gated} gated scenario${r.counts.gated === 1 ? '' : 's'}; ${r.mode} mode`,
    `baseline: ${describeInput(r.inputs.baseline)}`,
    `current:  ${describeInput(r.inputs.current)}`,
    '',
    ...rows.map(line),
    '',
    ...r.warnings.map((w) => `warning: ${w}`),
    r.headline,
    '',
  ].join('\n');
}

const md = (text: string) => text.replace(/[|\\`*_<>]/g, (c) => `\\${c}`);

/** gate.md: the headline, the table, how it was computed, and the warnings. */
export function gateMarkdown(r: GateReport): string {
  const o = r.options;
  const rows = r.scenarios.map((s) => {
    const [name, ...rest] = row(s, r);
    const cells = [`\`${name}\``, ...rest.map(md)];
    if (s.verdict === 'regressed' || s.verdict === 'improved') cells[5] = `**${cells[5]}**`;
    return `| ${cells.join(' | ')} |`;
  });
  const [status, ...rest] = r.headline.split(': ');
  const lines = [
    `**krsi-bench gate ${status}**: ${md(rest.join(': '))}`,
    '',
    `| ${header(r).join(' | ')} |`,
    '| :-- | --: | --: | :-- | --: | :-- | --: | :-- |',
    ...rows,
    '',
    `Baseline: ${md(describeInput(r.inputs.baseline))}. Current: ${md(describeInput(r.inputs.current))}. `
      + `${r.mode} mode, unit: ${md(r.unit)}. `
      + (overheads(r)
        ? `Metric: each scenario's overhead over \`${o.baseline_scenario}\` in its ${o.metric === 'both' ? `CPU cost and in its exec latency (the loop's time less the exec'ing tasks' wait for the CPU), each family at alpha ${o.family_alpha}` : o.metric === 'latency' ? 'exec latency' : 'CPU cost'}, change in percentage points; \`${o.baseline_scenario}\` itself is not gated. `
        : 'Metric: each scenario\'s median, change in percent. ')
      + `Each change is tested against the threshold, one-sided, at alpha ${o.family_alpha}${o.family_alpha !== o.alpha ? ` (${o.alpha} over the two figures)` : ''}, Holm-adjusted over the gated scenarios: `
      + `**regressed** when the change is shown above +${o.threshold} ${unitOf(r)}, **improved** when shown below -${o.threshold}, `
      + `**no change** when shown within ±${o.threshold} (two one-sided tests), **inconclusive** otherwise; only regressed fails the gate. `
      + `p is the adjusted p of the verdict shown (of regressed when inconclusive). The interval is at ${+(o.confidence * 100).toFixed(1)} %, so each bound is one of these one-sided tests before Holm. `
      + `"Detects" is the smallest true change the gate flags as regressed with ${Math.round(o.power * 100)} % power at the strictest Holm step: the threshold plus the noncentrality at which a one-sided t test at alpha/m has that power, in standard errors (the estimated one over c4, which makes it unbiased). `
      + 'Over "seeds paired": both runs booted the same seeds, and the change is a paired t-test over seeds of boot medians (logs); where a kernel is unchanged its boots share their layouts and cancel. '
      + 'Over "boots": Welch t over boot medians (logs). '
      + 'Over "kernel links": seeds shared drawn links of their kernels (fewer links than seeds, --kernel-links), so each link\'s seeds are averaged into one unit first, as the boots of one link share its code layout. '
      + `Over "samples": one layout only (fixed layout, or a single boot): Mann-Whitney U over samples and a bootstrap CI (${o.resamples} resamples, seed ${o.seed}), which cover sampling noise within that layout, not the layout.`,
  ];
  lines.push(...explanationMarkdown(r.explanations ?? []));
  if (r.warnings.length) lines.push('', '**Warnings**', '', ...r.warnings.map((w) => `- ${md(w)}`));
  return `${lines.join('\n')}\n`;
}

/** What --update prints: the file, its scenarios and every dependency field, ready for review. */
export function updateText(path: string, b: Baseline, previous: Baseline | null, warnings: string[]): string {
  const d = b.depends_on;
  const names = Object.keys(b.scenarios);
  const width = Math.max(...names.map((n) => n.length));
  const pad = (k: string) => `  ${k.padEnd(16)} `;
  const workloads = Object.entries(d.workloads).map(([name, w], i) =>
    `${i === 0 ? pad('workloads') : ' '.repeat(19)}${name}: execs ${w.execs}, samples ${w.samples}, warmup ${w.warmup}-${w.warmupMax}, ldPreload ${w.ldPreload ?? 'unset'}, envPages ${w.envPages}`);
  return [
    `wrote ${path} from run ${b.from_run} (suite revision ${b.suite_revision}, ${b.mode} mode, matrix ${b.matrix}, baseline scenario ${b.baseline_scenario})`,
    ...(previous ? [`it replaces the baseline from run ${previous.from_run} (suite revision ${previous.suite_revision})`] : []),
    'scenarios:',
    ...names.map((n) => {
      const s = b.scenarios[n]!;
      return `  ${n.padEnd(width)}  ${s.kernel}  ${s.samples_ns.length} samples, median ${median(s.samples_ns).toFixed(3)} ns`;
    }),
    'depends_on:',
    `${pad('mode')}${d.mode}`,
    `${pad('kernel_source')}${d.kernel_source}`,
    ...Object.entries(d.kernel_sources ?? {}).map(([k, v], i) => `${i === 0 ? pad('kernel_sources') : ' '.repeat(19)}${k}: ${v}`),
    `${pad('kernels')}${Object.entries(d.kernels).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `${pad('qemu')}${d.qemu}`,
    `${pad('workload_digest')}${d.workload_digest}`,
    `${pad('bpf_digest')}${d.bpf_digest ?? 'null (no BPF scenario)'}`,
    `${pad('layout')}${d.layout}${d.kernel_links !== undefined ? `, ${d.kernel_links} kernel links` : ''}`,
    `${pad('boots')}${d.boots === 'split' ? 'split (restored from each seed\'s shared boot)' : 'whole'}`,
    ...workloads,
    ...warnings.map((w) => `warning: ${w}`),
    `Review the diff and commit it as one change: git add ${path}`,
    '',
  ].join('\n');
}
