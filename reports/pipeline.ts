import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRun } from './load.ts';
import { reportHtml, type ReportView } from './report/html.ts';
import { renderSvg } from './report/render.ts';
import { distributionSpec, type PlotSample } from './report/specs.ts';
import { summarize, type Summary } from './summary.ts';

const REFERENCE = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'lss2019.json'), 'utf8')) as ReportView['reference'];

export interface SummarizeOptions {
  baseline?: string;
  /** Where summary.json and report.html go; the run directory by default. */
  out?: string;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** The statistics and report stages: run files in, summary.json and report.html out. */
export async function summarizeRunDir(dirOrSamples: string, opts: SummarizeOptions = {}): Promise<Summary> {
  const run = loadRun(dirOrSamples);
  const summary = summarize(run, opts.baseline);
  const order = summary.scenarios.map((s) => s.name);
  const plotSamples: PlotSample[] = run.samples.map((s, i) => ({ scenario: s.scenario, boot: s.boot, order: i, warmup: s.warmup, us: s.nsPerExec / 1000 }));
  const unitLabel = summary.mode === 'icount' ? 'instruction-time' : 'wall time';
  const plots = [{ id: 'distribution', title: 'The talk\'s figure: distribution of the N samples per scenario', svg: await renderSvg(distributionSpec(plotSamples, order, unitLabel)) }];
  const out = opts.out ?? run.dir;
  await writeAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeAtomic(join(out, 'report.html'), reportHtml({ summary, meta: run.meta, reference: REFERENCE, plots }));
  return summary;
}
