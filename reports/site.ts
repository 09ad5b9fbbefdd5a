import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { usageError } from '../lib/errors.ts';
import type { RunMeta } from '../lib/results.ts';
import { esc } from './report/escape.ts';
import { renderSvg, scopeSvgIds } from './report/render.ts';
import type { Summary } from './summary.ts';
import { loadRun } from './load.ts';
import { exportFigures } from './export.ts';
import { writeFiles } from './write.ts';

/**
 * A scenario's figures in the site's history: the CPU cost and its overhead as
 * `npm run export` gives them to the dashboards (reports/export.ts), so that the
 * site and the dashboards show one set of figures.
 */
export interface PublishedScenario {
  name: string;
  /** The export's cpu-cost: the scenario's centre (geometric mean of its boots' medians, or its median). */
  cpu_ns: number;
  /** The export's cpu-overhead; null for the baseline. */
  overhead_pct: number | null;
}

/** One published run, as the site's history keeps it (runs.json). */
export interface PublishedRun {
  run_id: string;
  date: string;
  commit: string;
  mode: string;
  baseline: string;
  scenarios: PublishedScenario[];
}

/** An entry published before the site took the exports' figures holds the pooled median instead. */
type StoredScenario = PublishedScenario | { name: string; median_ns: number; overhead_pct: number | null };
const fromStored = (s: StoredScenario): PublishedScenario => ('cpu_ns' in s ? s : { name: s.name, cpu_ns: s.median_ns, overhead_pct: s.overhead_pct });

/** The figures the exports give for a run, as the site keeps them. */
export function publishedScenarios(summary: Summary): PublishedScenario[] {
  const figures = exportFigures(summary, null);
  const value = (name: string, measure: string) => figures.find((f) => f.scenario === name && f.measure === measure)?.value ?? null;
  return summary.scenarios.map((s) => ({ name: s.name, cpu_ns: value(s.name, 'cpu-cost')!, overhead_pct: value(s.name, 'cpu-overhead') }));
}

const HISTORY = 'runs.json';

async function readHistory(site: string): Promise<PublishedRun[]> {
  const path = join(site, HISTORY);
  if (!existsSync(path)) return [];
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as (Omit<PublishedRun, 'scenarios'> & { scenarios: StoredScenario[] })[];
    return stored.map((r) => ({ ...r, scenarios: r.scenarios.map(fromStored) }));
  } catch (err) {
    throw usageError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
}

/** The trend of each scenario's CPU cost or overhead, one point per published run, in run order. */
export function trendSpec(history: PublishedRun[], field: 'cpu_us' | 'overhead_pct'): TopLevelSpec {
  const values = history.flatMap((r, i) =>
    r.scenarios
      .filter((s) => field === 'cpu_us' || s.overhead_pct !== null)
      .map((s) => ({ run: i + 1, label: `#${i + 1} ${r.date.slice(0, 10)} ${r.commit.slice(0, 7)}`, scenario: s.name, cpu_us: s.cpu_ns / 1000, overhead_pct: s.overhead_pct })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 640,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: { field: 'run' }, title: 'run (date, commit)', axis: { labelAngle: -40 } },
      y: { field, type: 'quantitative', title: field === 'cpu_us' ? 'CPU cost, µs per exec' : 'overhead % vs baseline', scale: { zero: false } },
      color: { field: 'scenario', type: 'nominal', scale: { scheme: 'tableau10' } },
    },
  };
}

function indexHtml(history: PublishedRun[], plots: { title: string; svg: string }[]): string {
  const rows = [...history]
    .reverse()
    .map((r) => `<tr><td><a href="runs/${esc(encodeURIComponent(r.run_id))}/report.html">${esc(r.run_id)}</a></td><td>${esc(r.date)}</td><td>${esc(r.commit)}</td><td>${esc(r.mode)}</td><td>${r.scenarios.map((s) => `${esc(s.name)} ${(s.cpu_ns / 1000).toFixed(1)} µs${s.overhead_pct === null ? '' : ` (${s.overhead_pct >= 0 ? '+' : ''}${s.overhead_pct.toFixed(1)} %)`}`).join('<br>')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>krsi-bench: runs over time</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}</style></head>
<body><h1>Exec cost of security instrumentation, run by run</h1>
${plots.map((p) => `<figure><figcaption>${esc(p.title)}</figcaption>${p.svg}</figure>`).join('\n')}
<table><thead><tr><th>run</th><th>date</th><th>commit</th><th>mode</th><th>CPU cost per exec (overhead), as exported</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}

/**
 * Adds a run (its report and data files) to a static site folder and renders
 * the site's index: every published run, and the trend of each scenario's
 * median and overhead. Publishing the same run again replaces its entry.
 */
export async function publishRun(runDir: string, site: string, commit: string): Promise<string> {
  const summaryPath = join(runDir, 'summary.json');
  const metaPath = join(runDir, 'run.json');
  if (!existsSync(summaryPath) || !existsSync(metaPath)) throw usageError(`${runDir}: needs summary.json and run.json (a complete run?)`);
  // The same checks as every reader: a finished run whose samples match its run.json.
  loadRun(runDir);
  const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as Summary;
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as RunMeta;
  const entry: PublishedRun = {
    run_id: meta.runId,
    date: meta.date,
    commit,
    mode: summary.mode,
    baseline: summary.baseline,
    scenarios: publishedScenarios(summary),
  };
  const history = [...(await readHistory(site)).filter((r) => r.run_id !== entry.run_id), entry].sort((a, b) => a.date.localeCompare(b.date));
  const plots = [
    { title: 'CPU cost per exec, per scenario', svg: scopeSvgIds(await renderSvg(trendSpec(history, 'cpu_us')), 'trend-cpu') },
    { title: 'Overhead against the baseline scenario', svg: scopeSvgIds(await renderSvg(trendSpec(history, 'overhead_pct')), 'trend-overhead') },
  ];

  const dest = join(site, 'runs', meta.runId);
  await mkdir(dest, { recursive: true });
  for (const f of await readdir(runDir)) {
    if (/\.(html|json|csv|svg|png|md)$/.test(f)) await copyFile(join(runDir, f), join(dest, f));
  }
  await writeFiles(site, [
    { path: HISTORY, content: `${JSON.stringify(history, null, 1)}\n` },
    { path: 'index.html', content: indexHtml(history, plots) },
  ]);
  return join(site, 'index.html');
}
