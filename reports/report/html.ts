import type { RunMeta } from '../../bench/store.ts';
import type { Summary } from '../summary.ts';
import { esc } from './escape.ts';

export interface ReferenceSetup {
  scenario: string;
  description: string;
  mean_us: number;
  overhead_pct: number | null;
}

export interface ReportView {
  summary: Summary;
  meta: RunMeta | null;
  reference: { source: string; caveat: string; setups: ReferenceSetup[] };
  /** Rendered plots, SVG markup. */
  plots: { id: string; title: string; svg: string }[];
}

const us = (ns: number) => (ns / 1000).toFixed(1);
const pct = (p: number | null) => (p === null ? '—' : `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`);

function header(v: ReportView): string {
  const m = v.meta;
  const unit = v.summary.mode === 'icount'
    ? 'instruction-time: QEMU counts guest instructions and advances the guest clock 1 ns per instruction, so times are identical on any host and under any load, and are not wall-clock times'
    : 'wall-clock time inside the guest';
  const kernels = (m?.kernels ?? [])
    .map((k) => `<li><b>${esc(k.variant)}</b>: Linux ${esc(k.version)}, config ${esc(k.configHash)}; ${Object.entries(k.options).map(([o, val]) => `${esc(o)}=${esc(val ?? 'n')}`).join(', ')}</li>`)
    .join('');
  return `<header>
<h1>Exec cost of security instrumentation</h1>
<p>A static nop program is fork+exec'd and waited for K times; the average time of one exec is one sample. Each scenario boots its own guest.</p>
<ul>
<li>mode: <b>${esc(v.summary.mode)}</b>, unit: ${esc(unit)}</li>
${m ? `<li>run ${esc(m.runId)}, ${esc(m.date)}, suite ${esc(m.suite.revision)}</li>
<li>host: ${esc(m.host.cpu)} (${m.host.cores} cores), ${esc(m.host.os)}, QEMU ${esc(m.qemu.version)}</li>` : ''}
${kernels}
</ul>
</header>`;
}

function verdictTable(v: ReportView): string {
  const rows = v.summary.scenarios
    .map((s) => `<tr><td>${esc(s.name)}</td><td>${esc(s.kernel)}</td><td>${s.n}</td><td>${us(s.median_ns)}</td><td>${us(s.p5_ns)}</td><td>${us(s.p95_ns)}</td><td>${pct(s.overhead_pct)}</td><td>${esc(s.events.source)}</td><td>${s.events.expected}</td><td>${s.events.logged}</td><td>${s.events.lost}</td><td class="${s.events.ok ? 'ok' : 'bad'}">${s.events.ok ? 'ok' : 'mismatch'}</td></tr>`)
    .join('\n');
  return `<section><h2>Results</h2>
<table id="verdict"><thead><tr><th>scenario</th><th>kernel</th><th>n</th><th>median µs</th><th>p5 µs</th><th>p95 µs</th><th>overhead vs ${esc(v.summary.baseline)}</th><th>logged by</th><th>events expected</th><th>logged</th><th>lost</th><th>check</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>`;
}

function talkComparison(v: ReportView): string {
  const rows = v.reference.setups
    .map((r) => {
      const ours = v.summary.scenarios.find((s) => s.name === r.scenario);
      return `<tr><td>${esc(r.scenario)}</td><td>${esc(r.description)}</td><td>${r.mean_us}</td><td>${pct(r.overhead_pct)}</td><td>${ours ? us(ours.median_ns) : '—'}</td><td>${ours ? pct(ours.overhead_pct) : 'not run'}</td></tr>`;
    })
    .join('\n');
  return `<section><h2>Against the talk's figures</h2>
<table id="talk"><thead><tr><th>setup</th><th>talk</th><th>talk µs (mean)</th><th>talk overhead</th><th>this run µs (median)</th><th>this run overhead</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="note">Talk figures: ${esc(v.reference.source)}. ${esc(v.reference.caveat)}.</p></section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.ok{color:#060}.bad{color:#b00;font-weight:bold}
.note{color:#555;font-size:.9em}figure{margin:1.5em 0}`;

/** The whole report: one HTML file, plots inline as SVG, nothing fetched. */
export function reportHtml(v: ReportView): string {
  const plots = v.plots.map((p) => `<figure id="${esc(p.id)}"><figcaption>${esc(p.title)}</figcaption>${p.svg}</figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>krsi-bench report${v.meta ? ` ${esc(v.meta.runId)}` : ''}</title>
<style>${STYLE}</style></head>
<body>
${header(v)}
${verdictTable(v)}
<section><h2>Distributions</h2>${plots}</section>
${talkComparison(v)}
</body></html>
`;
}
