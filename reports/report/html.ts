/**
 * The report page: one self-contained HTML file (styles, plots as inline SVG, the
 * summary as inline JSON; no script, font or stylesheet fetched), readable from
 * disk and from any static host. Every piece of text that comes from the data
 * (scenario, kernel and run names, run.json fields, notes) goes through esc().
 */

import type { Overhead, ScenarioSummary, Summary } from '../summary.ts';
import type { TalkComparison, TalkReference } from './compare.ts';
import { esc } from './escape.ts';
import { methodText, pctInterval, pValue, signedPct, us, usInterval, verdictClass, verdictText } from './format.ts';
import type { KernelInfo, RunInfo } from './run-info.ts';
import type { ProfileSummary } from '../profile/summarize.ts';
import { profileSection } from './profile-section.ts';
import { latencySection } from './latency-section.ts';
import { answerItems, answerLead, answerSection } from './answer-section.ts';

/** A rendered plot as the page shows it. */
export interface PlotView {
  /** Also the base name of its .svg and .png files. */
  id: string;
  title: string;
  /** How to read it. */
  caption: string;
  /** SVG markup from Vega (which escapes the text it draws), ids scoped to this plot. */
  svg: string;
  /** For a question of the matrix: its answer in numbers. */
  sentence?: string;
  /** One of the profile section's plots. */
  profile?: boolean;
  /** The latency section's plot. */
  latency?: boolean;
}

/** A scenario's setup: K, N and where its samples came from. */
export interface ScenarioSetup {
  name: string;
  description: string | null;
  kernel: string;
  /** K, execs per sample, as found in the samples (several values when runs differ). */
  execs: number[];
  n: number;
  warmup: number;
  boots: number;
  /** Labels of the runs that hold samples of it. */
  runs: string[];
}

/** A link to one of the data files, relative to the report. */
export interface DataLink {
  name: string;
  href: string;
}

/** Everything the page shows, computed beforehand. */
export interface ReportView {
  summary: Summary;
  runs: RunInfo[];
  setups: ScenarioSetup[];
  reference: TalkReference;
  talk: TalkComparison;
  plots: PlotView[];
  /** A profiling run's profiles; absent or null otherwise. */
  profile?: ProfileSummary | null;
  /** Per run, its files (samples.csv, events.csv, run.json). */
  dataLinks: { run: string; links: DataLink[] }[];
  summaryHref: string;
}

/** Cells are HTML; a cell that reads as a number (or an interval, or "<0.0001") is right-aligned. */
function table(id: string, head: string[], rows: string[][], caption?: string): string {
  const numeric = /^(?:[-+<]?\d|\[)/;
  const cell = (c: string) => `<td${numeric.test(c) ? ' class="n"' : ''}>${c}</td>`;
  const headCell = (h: string, i: number) => `<th${rows.length && numeric.test(rows[0]![i] ?? '') ? ' class="n"' : ''}>${h}</th>`;
  return `<div class="scroll"><table id="${esc(id)}">${caption ? `<caption>${caption}</caption>` : ''}
<thead><tr>${head.map(headCell).join('')}</tr></thead>
<tbody>
${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}
</tbody></table></div>`;
}

const unknown = '<span class="unknown">unknown</span>';
const orUnknown = (v: string | number | null | undefined) => (v === null || v === undefined ? unknown : esc(v));

/** "K = 100" when every scenario agrees, "K = 20 to 100" otherwise. */
function common(letter: string, values: number[]): string {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length === 0) return `${letter} unknown`;
  if (distinct.length === 1) return `${letter}&nbsp;=&nbsp;${distinct[0]}`;
  return `${letter}&nbsp;=&nbsp;${distinct[0]} to ${distinct[distinct.length - 1]} (by scenario, see <a href="#setups">the setups</a>)`;
}

function modeText(mode: string): string {
  if (mode === 'icount') {
    return `<b>instruction-time</b> (icount mode): QEMU runs the guest with <code>-icount shift=0</code>, so the guest clock advances 1&nbsp;ns per guest instruction. The results are identical across machines and host load, and they are <b>not wall-clock time</b>: caches, memory latency and the CPU's speed do not show. "µs" below means µs of instruction-time.`;
  }
  if (mode === 'kvm') return '<b>wall-clock time</b> (kvm mode) inside a KVM guest: it depends on the host machine and its load.';
  return `<b>unknown</b> (no run.json says how the samples were taken): times are the recorded ns per exec.`;
}

function kernelSection(runs: RunInfo[]): string {
  const kernels = new Map<string, { k: KernelInfo; runs: string[] }>();
  for (const r of runs) {
    for (const k of r.kernels) {
      const key = `${k.variant}\u0000${k.configHash}`;
      const seen = kernels.get(key);
      if (seen) seen.runs.push(r.label);
      else kernels.set(key, { k, runs: [r.label] });
    }
  }
  const list = [...kernels.values()];
  if (list.length === 0) return '<p>Kernels: not recorded (no run.json).</p>';
  const options = [...new Set(list.flatMap(({ k }) => Object.keys(k.options)))].sort();
  // null: the kernel's run.json does not list the option
  const value = (k: KernelInfo, o: string): string | null => (Object.hasOwn(k.options, o) ? (k.options[o] ?? 'not set') : null);
  const differ = options.filter((o) => new Set(list.map(({ k }) => value(k, o))).size > 1);
  const same = options.filter((o) => !differ.includes(o));
  const head = ['kernel', 'Linux', 'config hash', ...differ.map((o) => `${esc(o)} <span class="differs">differs</span>`), ...(runs.length > 1 ? ['runs'] : [])];
  const rows = list.map(({ k, runs: rs }) => [
    `<b>${esc(k.variant)}</b>`,
    orUnknown(k.version),
    `<code>${orUnknown(k.configHash)}</code>`,
    ...differ.map((o) => `<code>${orUnknown(value(k, o))}</code>`),
    ...(runs.length > 1 ? [esc(rs.join(', '))] : []),
  ]);
  const sameText = same.length
    ? `<p class="note">Same in ${list.length > 1 ? 'every kernel' : 'the kernel'}: ${same.map((o) => `<code>${esc(o)}=${orUnknown(value(list[0]!.k, o))}</code>`).join(', ')}.</p>`
    : '';
  return `${table('kernels', head, rows)}${sameText}`;
}

function methodSection(v: ReportView): string {
  const s = v.summary;
  const execs = v.setups.flatMap((x) => x.execs);
  const ns = v.setups.map((x) => x.n);
  const warm = v.setups.map((x) => Math.round(x.warmup / Math.max(1, x.boots)));
  const runLines = v.runs.map((r) => `<li>${v.runs.length > 1 ? 'run' : 'Run'} <b>${esc(r.label)}</b>${r.hasMeta ? '' : ' (no run.json: only the samples are known)'}${r.shard ? ` (${esc(r.shard)})` : ''}: date ${orUnknown(r.date)}, suite revision <code>${orUnknown(r.suiteRevision)}</code>, matrix ${orUnknown(r.matrix)}${r.matrixDescription ? ` (${esc(r.matrixDescription)})` : ''}, host ${orUnknown(r.host)}, QEMU ${orUnknown(r.qemu)}</li>`);
  return `<section id="method"><h2>Method</h2>
<p class="lead">A static <code>nop</code> binary is fork+exec'd and waited for ${common('K', execs)} times in a loop; the mean time of one exec over those K is one sample. Each scenario took ${common('N', ns)} measured samples (after ${common('W', warm)} warm-up samples per boot, shown in the run-order plot but left out of every statistic), each scenario in its own QEMU guest.</p>
<p class="mode">Unit: ${modeText(s.mode)}</p>
<ul class="meta">
${runLines.join('\n')}
<li>${layoutText(s)}</li>
<li>Baseline: <b>${esc(s.baseline)}</b>; overheads are ${[...new Set(s.scenarios.flatMap((c) => (c.overhead ? [c.overhead.method] : [])))].map(methodText).join('; ') || 'none'}. p-values are Holm-adjusted over the comparisons, α = ${esc(s.alpha)}.</li>
</ul>
<h3>Kernels</h3>
${kernelSection(v.runs)}
</section>`;
}

/** The answer: one line per question (or per scenario), before anything about how it was measured. */
function answerBlock(v: ReportView): string {
  const questions = v.plots.filter((p) => p.sentence !== undefined).map((p) => ({ id: p.id, title: p.title, sentence: p.sentence! }));
  const descriptions = new Map(v.setups.map((x) => [x.name, x.description]));
  const failed = v.summary.scenarios.filter((c) => !c.events.ok).map((c) => c.name);
  return answerSection(answerLead(v.summary), answerItems(v.summary, v.reference, questions, descriptions), failed);
}

function layoutText(s: Summary): string {
  const fixed = s.scenarios.some((c) => c.layout === 'fixed');
  if (fixed) return '<b>Layout fixed</b>: every boot had the same memory layout (nokaslr norandmaps, fixed CRNG bytes, no RDRAND). The intervals cover sampling noise within that one layout, not the variation between layouts, which is larger.';
  const few = s.scenarios.filter((c) => c.boots < 3).map((c) => c.name);
  return `Layout random: each boot drew its memory layout (KASLR, mmap randomisation, CRNG and RDRAND), the link of its timing program and which of its kernel's drawn links it booted from its seed, and boots are the unit of replication: each scenario's figure is the geometric mean of its boots' medians with a t interval over boots.${few.length ? ` <b>Fewer than 3 boots</b> for ${few.map(esc).join(', ')}: there the interval says little or nothing about how layouts vary.` : ''}`;
}

function overheadCells(s: ScenarioSummary, baseline: string): string[] {
  if (!s.overhead) return ['baseline', '', '<span class="verdict base">baseline</span>'];
  const o = s.overhead;
  const cls = verdictClass(o.verdict);
  // A scenario with a baseline of its own says which.
  const vs = o.against && o.against !== baseline ? ` <span class="ci">vs ${esc(o.against)}</span>` : '';
  return [`${signedPct(o.pct)} <span class="ci">${pctInterval(o.ci95_pct)}</span>${vs}`, pValue(o.p_adjusted), `<span class="verdict ${cls}">${esc(verdictText(o))}</span>`];
}

/** Boots that passed the steady-state check, of those it could test. */
function steadyCell(c: ReportView['summary']['scenarios'][number]): string {
  const tested = c.boots - c.untested_boots;
  if (tested === 0) return 'not tested (too few samples and boots)';
  const passed = `${tested - c.unsteady_boots} / ${tested}${c.untested_boots ? ` (${c.untested_boots} not tested)` : ''}`;
  return `${passed}${c.unsteady_boots ? ' <span class="bad">not steady</span>' : ''}`;
}

function verdictTable(v: ReportView): string {
  const s = v.summary;
  const head = ['scenario', 'kernel', 'n (boots × samples)', 'µs per exec <span class="ci">[95 % CI]</span>', 'between boots sd %', 'within a boot spread %', 'steady boots', `overhead vs ${esc(s.baseline)} <span class="ci">[95 % CI]</span>`, 'p (Holm)', 'verdict', 'events expected / logged / lost'];
  const rows = s.scenarios.map((c) => [
    esc(c.name),
    esc(c.kernel),
    `${c.boots} × ${c.samples_per_boot}`,
    `${us(c.centre.ns)} <span class="ci">${usInterval(c.centre.ci95_ns)}</span>`,
    c.between_boot.sd_pct === null ? '' : c.between_boot.sd_pct.toFixed(2),
    c.within_boot.spread_pct.toFixed(2),
    steadyCell(c),
    ...overheadCells(c, s.baseline),
    `${c.events.expected} / ${c.events.logged} / ${c.events.lost ?? 'unknown'}${c.events.ok ? '' : ' <span class="bad">mismatch</span>'}`,
  ]);
  return `<section><h2>Verdict</h2>
${table('verdict', head, rows)}
<p class="note">µs per exec: with a random layout, the geometric mean of the boots' medians with a t interval over boots; with a fixed layout or one boot, the pooled median with its order-statistic interval (±inf where the sample is too small to bound it). Between boots: the sd of the logs of the boots' medians, in %; within a boot: the median over boots of (max - min) / median of its samples. Steady boots: those whose samples show no change of level of 0.5 % or more at p < 0.01 (a change-point test against the noise of the scenario's other boots), of the boots it could test. A scenario is called slower or faster only when the Holm-adjusted p-value is below α and the whole overhead interval lies on one side of 0; equivalent only when an equivalence test shows its overhead within ±${s.equivalence_margin_pct ?? 1} % (the interval at 1 - 2α/k inside the margin); inconclusive otherwise. With a fixed layout, boots that repeat another boot's samples value for value count once. Events: what the instrumentation had to log for the execs of all samples (warm-up included), what it logged, and what it lost; "mismatch" marks a scenario whose check failed (see the notes).</p>
</section>`;
}

function notesSection(s: Summary): string {
  const items = s.notes.length ? `<ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join('\n')}</ul>` : '<p>None: every scenario logged what it had to, and no interval is unbounded.</p>';
  return `<section id="notes"><h2>Notes</h2>\n${items}\n</section>`;
}

function figure(p: PlotView): string {
  return `<figure class="plot" id="fig-${esc(p.id)}">
<figcaption><b>${esc(p.title)}</b>. ${esc(p.caption)} <span class="files"><a href="${esc(p.id)}.svg">SVG</a> · <a href="${esc(p.id)}.png">PNG</a></span></figcaption>
<div class="svg">${p.svg}</div>
</figure>`;
}

/** The matrix's questions, each with its answer in one sentence and its plot; nothing when it asks none. */
function questionsSection(v: ReportView): string {
  const asked = v.plots.filter((p) => p.sentence !== undefined);
  if (!asked.length) return '';
  const parts = asked.map((p) => `<section class="question" id="q-${esc(p.id)}"><h3>${esc(p.title)}</h3>\n<p class="answer">${esc(p.sentence!)}</p>\n${figure(p)}</section>`);
  return `<section id="questions"><h2>Questions</h2>\n${parts.join('\n')}\n</section>`;
}

function plotsSection(v: ReportView): string {
  const figures = v.plots.filter((p) => p.sentence === undefined && !p.profile && !p.latency).map(figure);
  return `<section id="plots"><h2>Plots</h2>\n${figures.join('\n')}\n</section>`;
}

function talkSection(v: ReportView): string {
  const metric = v.talk.rows.some((r) => r.metric === 'latency') ? 'exec latency' : 'CPU cost';
  const head = ['setup', 'in the talk', 'talk µs (mean)', 'talk overhead', `this run µs (${metric})`, `this run overhead (${metric})`, '95 % CI', 'verdict'];
  const rows = v.talk.rows.map((r) => [
    esc(r.setup.scenario),
    esc(r.setup.description),
    esc(r.setup.mean_us),
    r.setup.overhead_pct === null ? 'baseline' : signedPct(r.setup.overhead_pct, 1),
    r.medianNs === null ? 'not run' : us(r.medianNs),
    r.overheadPct === null ? (r.medianNs === null ? '' : 'baseline') : signedPct(r.overheadPct),
    r.ci95Pct === null ? '' : pctInterval(r.ci95Pct),
    esc(r.verdict ?? ''),
  ]);
  const extra = v.talk.notInTalk.length ? `<p>Not in the talk: ${v.talk.notInTalk.map((n) => `<b>${esc(n)}</b>`).join(', ')}.</p>` : '';
  return `<section id="talk"><h2>Against the talk's published figures</h2>
${table('talk-table', head, rows)}
<ul class="sentences">${v.talk.rows.map((r) => `<li>${esc(r.sentence)}</li>`).join('\n')}</ul>
${extra}
<p class="note">${esc(v.talk.caveat)} Source: ${esc(v.reference.source)}.</p>
</section>`;
}

/** What an overhead's interval is over: kernel links where boots shared them (with the seeds paired), else seed pairs, boots or samples. */
export function overText(o: Overhead): string {
  if (o.links !== undefined) return `${o.links} kernel links${o.paired_seeds ? ` (${o.paired_seeds.length} seed pairs)` : ''}`;
  return o.method === 'paired-t' ? `${o.units} seed pairs` : o.method === 'welch-t' ? `${o.units} boots` : `${o.units} samples`;
}

function numbersSection(v: ReportView): string {
  const s = v.summary;
  const us3 = (ns: number | null) => (ns === null ? '' : us(ns, 3));
  // Two tables of the same rows: one of 19 columns does not fit a 1280-px window.
  const stats = table('stats', ['scenario', 'n', 'warm-up', 'boots', 'mean', 'sd', 'median', 'CI lo', 'CI hi', 'MAD'], s.scenarios.map((c) => [
    esc(c.name), String(c.n), String(c.warmup_n), String(c.boots), us3(c.mean_ns), us3(c.sd_ns), us3(c.median_ns),
    c.median_ci95_ns[0] === null ? '-inf' : us3(c.median_ci95_ns[0]), c.median_ci95_ns[1] === null ? '+inf' : us3(c.median_ci95_ns[1]), us3(c.mad_ns),
  ]), 'Descriptive statistics of the measured samples, µs per exec (MAD scaled by 1.4826; CI: the median\'s order-statistic interval)');
  const quantiles = table('quantiles', ['scenario', 'p5', 'p25', 'p75', 'p95', 'p99', 'outliers mild', 'severe', 'low', 'high'], s.scenarios.map((c) => [
    esc(c.name), us3(c.p5_ns), us3(c.p25_ns), us3(c.p75_ns), us3(c.p95_ns), us3(c.p99_ns),
    String(c.outliers.mild), String(c.outliers.severe), String(c.outliers.low), String(c.outliers.high),
  ]), 'Quantiles of the measured samples, µs per exec, and Tukey outliers (beyond 1.5 IQR mild, beyond 3 IQR severe; below the box low, above it high): counted, never dropped');
  const boots = table('boots', ['scenario', 'run', 'boot', 'seed', 'warm-ups', 'n', 'median', 'spread %', 'steady', 'change at', 'shift %', 'p', 'tested against'], s.scenarios.flatMap((c) => c.per_boot.map((b) => [
    esc(c.name), esc(b.run), String(b.boot), b.seed === null ? '' : String(b.seed), String(b.warmups), String(b.n), us3(b.median_ns), b.spread_pct.toFixed(3),
    b.steady === null ? 'not tested' : b.steady ? 'yes' : '<span class="bad">no</span>', b.change_point.index === null ? '' : String(b.change_point.index), b.change_point.shift_pct.toFixed(3),
    b.change_point.p_value === null ? '' : pValue(b.change_point.p_value), b.change_point.method,
  ])), 'Each boot: the warm-up samples its guest needed before two in a row agreed, its median (µs per exec), the spread of its samples, and the steady-state check: the most likely change of level, its size, and its p-value against the residuals of the scenario\'s other boots (pooled residuals) or the boot\'s own permutations (within boot); not tested where neither can reach p < 0.01');
  const compared = s.scenarios.filter((c) => c.overhead);
  const overheads = compared.length
    ? table('overheads', ['scenario', 'overhead %', 'CI lo %', 'CI hi %', 'p', 'p (Holm)', 'method', 'over', 'verdict'], compared.map((c) => {
        const o = c.overhead!;
        return [esc(c.name), o.pct.toFixed(3), o.ci95_pct[0].toFixed(3), o.ci95_pct[1].toFixed(3), pValue(o.p_value), pValue(o.p_adjusted), esc(o.method), overText(o), esc(verdictText(o))];
      }), `Against ${esc(s.baseline)}, two-sided. paired-t: ${methodText('paired-t')}; welch-t: ${methodText('welch-t')}; within-layout: ${methodText('within-layout')}`)
    : '<p>Only the baseline was measured: no overheads.</p>';
  const events = table('events', ['scenario', 'logged by', 'expected', 'logged', 'with the right value', 'lost', 'ok'], s.scenarios.map((c) => [
    esc(c.name), esc(c.events.source), String(c.events.expected), String(c.events.logged), String(c.events.matched), c.events.lost === null ? 'unknown' : String(c.events.lost), c.events.ok ? 'yes' : '<span class="bad">no</span>',
  ]), 'Events logged by the instrumentation, boots added up');
  const setups = table('setups', ['scenario', 'description', 'kernel', 'K (execs per sample)', 'N (measured)', 'warm-up', 'boots', 'runs'], v.setups.map((x) => [
    esc(x.name), orUnknown(x.description), esc(x.kernel), esc(x.execs.join(', ')), String(x.n), String(x.warmup), String(x.boots), esc(x.runs.join(', ')),
  ]), 'Scenarios');
  return `<section id="numbers"><h2>Numbers</h2>\n${setups}\n${stats}\n${quantiles}\n${boots}\n${overheads}\n${events}\n</section>`;
}

function filesSection(v: ReportView): string {
  const perRun = v.dataLinks.map((d) => `<li>${v.dataLinks.length > 1 ? `${esc(d.run)}: ` : ''}${d.links.map((l) => `<a href="${esc(l.href)}">${esc(l.name)}</a>`).join(' · ')}</li>`);
  return `<section id="files"><h2>Data</h2>
<ul>${perRun.join('\n')}
<li><a href="${esc(v.summaryHref)}">summary.json</a> (these statistics; also inline in this page as <code>#summary-json</code>)</li></ul>
</section>`;
}

/** JSON inside a <script> element: "<" escaped so no "</script>" or "<!--" can end or alter it. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}code{font-size:.92em}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.8em 0;font-size:.88em}caption{text-align:left;color:#555;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}.ci,code,.verdict{white-space:nowrap}th{background:#f4f4f4;vertical-align:bottom}
.n{text-align:right}#verdict td:first-child,#talk-table td:first-child{font-weight:bold}.ci{color:#666;font-size:.9em}.ok{color:#060}.bad{color:#b00;font-weight:bold}
.verdict.slower{color:#b00;font-weight:bold}.verdict.faster{color:#060;font-weight:bold}.verdict.none,.verdict.base{color:#555}
.differs{font-weight:normal;color:#b00;font-size:.85em}.unknown{color:#999}.note{color:#555;font-size:.9em}
.mode{background:#f6f8fa;border-left:4px solid #4c78a8;padding:.5em .8em}
ul.answers li{margin:.35em 0}.what{color:#555}
figure{margin:1.5em 0}figcaption{margin-bottom:.4em}.files{font-size:.85em}.svg svg{max-width:100%;height:auto}`;

/** The whole report: one HTML file, plots inline as SVG, nothing fetched. */
export function reportHtml(v: ReportView): string {
  const title = `krsi-bench report: ${v.runs.map((r) => r.label).join(' + ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>What <code>exec()</code> costs under security instrumentation</h1>
${answerBlock(v)}
${methodSection(v)}
${latencySection(v.summary, v.plots.filter((p) => p.latency).map(figure), table)}
${questionsSection(v)}
${verdictTable(v)}
${notesSection(v.summary)}
${plotsSection(v)}
${profileSection(v.profile ?? null, v.plots.filter((p) => p.profile).map(figure), table)}
${talkSection(v)}
${numbersSection(v)}
${filesSection(v)}
<script type="application/json" id="summary-json">${inlineJson(v.summary)}</script>
</body></html>
`;
}
