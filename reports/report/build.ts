/**
 * The report in memory: summary, plots (SVG and PNG), the page, and the data files
 * it links to. Nothing is written here, so a failure leaves no trace (write.ts
 * writes the result).
 */

import type { Summary } from '../summary.ts';
import type { TalkReference } from './compare.ts';
import { compareWithTalk } from './compare.ts';
import { reportHtml, type DataLink, type PlotView, type ScenarioSetup } from './html.ts';
import { bootMedianRows, boxRows, collectSamples, densities, ecdfPoints, forestRows, runOrderRows, stripPoints, type ScenarioSamples } from './plot-data.ts';
import { methodText } from './format.ts';
import { svgToPng } from './png.ts';
import { renderSvg, scopeSvgIds } from './render.ts';
import type { ReportInput } from './runs.ts';
import { bootMediansSpec, boxSpec, distributionSpec, ecdfSpec, forestSpec, runOrderSpec } from './specs.ts';
import type { TopLevelSpec } from 'vega-lite';
import { alternativesSpec, envPagesSpec, ruleCountSpec } from './question-specs.ts';
import { answerQuestions } from './questions.ts';
import { injectFault } from '../../lib/faults.ts';
import type { ProfileSummary } from '../profile/summarize.ts';
import { profileStacks } from './profile-section.ts';
import { latencyStacks } from './latency-section.ts';
import { stackedDeltaSpec } from './profile-specs.ts';
import type { OutputFile } from '../write.ts';

/** A file of the report, relative to the output directory: content, or a copy of an input file. */
export type { OutputFile };

/** Where the page's data links point and which input files to copy beside it. */
export interface DataFiles {
  links: { run: string; links: DataLink[] }[];
  copies: { path: string; copyFrom: string }[];
}

/** What buildReport needs besides the runs. */
export interface BuildInput {
  inputs: ReportInput[];
  summary: Summary;
  reference: TalkReference;
  dataFiles: DataFiles;
  /** A profiling run's profiles (reports/profile/summarize.ts), or null. */
  profile?: ProfileSummary | null;
  /** Called as each stage starts, for timing. */
  onPhase?: (phase: string) => void;
}

/** The report, ready to be written. */
export interface BuiltReport {
  files: OutputFile[];
}

interface PlotSource {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
  /** Set for a question of the matrix: the answer in numbers, shown above its plot. */
  sentence?: string;
  /** Shown in the profile section rather than among the plots. */
  profile?: boolean;
  /** Shown in the latency section. */
  latency?: boolean;
}

/** The profile section's two plots, where a scenario's baseline was profiled beside it. */
function profileSources(profile: ProfileSummary | null | undefined): PlotSource[] {
  if (!profile) return [];
  const { tasks, kinds, order } = profileStacks(profile);
  if (!order.length) return [];
  return [
    {
      id: 'profile-tasks', profile: true, title: 'Where each overhead goes, by task',
      caption: 'Each scenario\'s added instruction-time per exec against its baseline, split by the tasks that ran it (the kernel\'s per-task accounting).',
      spec: stackedDeltaSpec(tasks, order, 'task'),
    },
    {
      id: 'profile-kinds', profile: true, title: 'Where each overhead goes, by kind of code',
      caption: 'The same overhead from the profile, split by where the instructions were: the kernel, BPF programs and trampolines, the workload\'s binaries, or other user space (daemons and libraries).',
      spec: stackedDeltaSpec(kinds, order, 'code'),
    },
  ];
}

/** The latency section's plot, where any scenario has a latency against its baseline. */
function latencySources(summary: Summary): PlotSource[] {
  const { parts, latency, order } = latencyStacks(summary);
  if (!order.length) return [];
  return [{
    id: 'latency-tasks', latency: true, title: 'Where each CPU overhead goes, and the exec latency overhead',
    caption: 'Each bar is a scenario\'s CPU overhead per exec against its baseline, split by the tasks that ran it (the kernel\'s per-task accounting); the black tick is its exec latency overhead on the same axis: what is left when the daemons run on other cores.',
    spec: stackedDeltaSpec(parts, order, 'task', { rows: latency, title: 'exec latency overhead' }),
  }];
}

/** One plot per question of the matrix (from the first run that has them), before the others. */
export function questionSources(inputs: ReportInput[], summary: Summary): PlotSource[] {
  const questions = inputs.find((x) => x.info.questions.length)?.info.questions ?? [];
  const infos = inputs.flatMap((x) => x.info.scenarios);
  return answerQuestions(questions, summary, infos).flatMap((a, i): PlotSource[] => {
    if (a.rows.length === 0) return [];
    const spec = a.question.plot === 'env-pages' ? envPagesSpec(a.rows) : a.question.plot === 'rule-count' ? ruleCountSpec(a.rows) : alternativesSpec(a.rows);
    const caption = 'Each point is a scenario\'s overhead against its own baseline, with its 95 % interval.';
    return [{ id: `question-${i + 1}`, title: a.question.title, caption, spec, sentence: a.sentence }];
  });
}

function unitLabel(mode: string): string {
  if (mode === 'icount') return 'µs per exec (instruction-time)';
  if (mode === 'kvm') return 'µs per exec (wall-clock)';
  return 'µs per exec';
}

/** The specs of every plot the data allows (no forest plot without a comparison). */
export function plotSources(summary: Summary, samples: ScenarioSamples[]): PlotSource[] {
  const order = summary.scenarios.map((s) => s.name);
  const unit = unitLabel(summary.mode);
  const dens = densities(samples);
  const bandwidths = order.map((n) => `${n} ${formatBandwidth(dens.bandwidthUs.get(n) ?? 0)}`).join(', ');
  const maxN = Math.max(...samples.map((s) => s.sorted.length));
  const plots: PlotSource[] = [
    {
      id: 'distribution',
      title: 'The talk\'s figure: distribution of the samples per scenario',
      caption: `Gaussian kernel density of each scenario's measured samples, all on one axis (bandwidth by Silverman's rule per scenario: ${bandwidths}). The strip below marks ${maxN > 150 ? 'the samples (150 evenly spaced quantiles where a scenario has more)' : 'every sample'}. Warm-up samples are left out.`,
      spec: distributionSpec(dens.points, stripPoints(samples), order, unit),
    },
    {
      id: 'ecdf',
      title: 'Empirical cumulative distribution per scenario',
      caption: `The fraction of each scenario's measured samples at or below x${maxN > 300 ? ' (drawn through 300 evenly spaced quantiles where a scenario has more samples)' : ''}.`,
      spec: ecdfSpec(ecdfPoints(samples), order, unit),
    },
    {
      id: 'box',
      title: 'Box plots',
      caption: 'Median (black tick), quartiles (box), whiskers to the furthest samples within 1.5 IQR of the box, samples beyond them as points (at most 60 per scenario). Each row has its own x scale, so the spread within a scenario shows even when it is far smaller than the gaps between scenarios.',
      spec: boxSpec(boxRows(summary, samples), order, unit),
    },
    {
      id: 'run-order',
      title: 'Samples in the order they were taken',
      caption: 'Each boot\'s samples by their position in the boot, warm-up samples (triangles) first; one row per scenario with its own y scale, so drift and warm-up effects show. A boot with more than 300 measured samples is drawn as the medians of 150 bins of consecutive samples within their min-max band.',
      spec: runOrderSpec(runOrderRows(samples), order, unit),
    },
  ];
  const boots = bootMedianRows(summary);
  const unsteady = summary.scenarios.flatMap((x) => x.per_boot.filter((b) => b.steady === false).map((b) => `${x.name} boot ${b.boot}${b.seed === null ? '' : ` (seed ${b.seed})`}, from sample ${b.change_point.index}, ${b.change_point.shift_pct >= 0 ? '+' : ''}${b.change_point.shift_pct.toFixed(2)} %`));
  const untested = summary.scenarios.reduce((n, x) => n + x.untested_boots, 0);
  plots[plots.length - 1]!.caption += unsteady.length
    ? ` Not in steady state (change-point test, p < 0.01 and a shift of 0.5 % or more): ${unsteady.join('; ')}.`
    : untested === 0
      ? ' Every boot passed the steady-state check (no change of level of 0.5 % or more at p < 0.01).'
      : ` No boot failed the steady-state check; ${untested} could not be tested (fewer than 3 samples, or too few samples and too few other boots to reach p < 0.01).`;
  plots.push({
    id: 'boot-medians',
    title: 'Each boot\'s median',
    caption: summary.scenarios.some((x) => x.layout === 'fixed')
      ? 'One point per boot. The layout was fixed, so every boot of a scenario had the same layout: their spread is not the variation between layouts.'
      : 'One point per boot; each boot drew its own memory layout from its seed. Grey lines join the boots of one seed across the scenarios of one kernel, which share that seed\'s whole layout; boots of one seed on other kernels share its link of execbench, and every overhead is paired by seed. Crosses mark boots not in steady state, squares boots the check could not test.',
    spec: bootMediansSpec(boots, order, unit),
  });
  const forest = forestRows(summary);
  if (forest.length) {
    plots.push({
      id: 'forest',
      title: `Overhead against ${summary.baseline}`,
      caption: `Each scenario's overhead with its 95 % interval (${[...new Set(forest.map((r) => r.method))].map(methodText).join('; ')}); the dashed rule is no difference.`,
      spec: forestSpec(forest, order, summary.baseline),
    });
  }
  return plots;
}

function formatBandwidth(us: number): string {
  return us >= 0.1 ? `${us.toFixed(2)} µs` : `${(us * 1000).toFixed(1)} ns`;
}

function setups(inputs: ReportInput[], summary: Summary): ScenarioSetup[] {
  return summary.scenarios.map((c) => {
    const holding = inputs.filter((x) => x.facts.has(c.name));
    const execs = new Set(holding.flatMap((x) => [...x.facts.get(c.name)!.execs]));
    return {
      name: c.name,
      description: inputs.map((x) => x.info.scenarios.find((s) => s.name === c.name)?.description ?? null).find((d) => d !== null) ?? null,
      kernel: c.kernel,
      execs: [...execs].sort((a, b) => a - b),
      n: c.n,
      warmup: c.warmup_n,
      boots: c.boots,
      runs: holding.map((x) => x.info.label),
    };
  });
}

/** Renders the plots and the page; returns every file of the report. */
export async function buildReport({ inputs, summary, reference, dataFiles, profile, onPhase }: BuildInput): Promise<BuiltReport> {
  onPhase?.('plot data');
  injectFault('render');
  const order = summary.scenarios.map((s) => s.name);
  const samples = collectSamples(inputs.map((x) => x.run), order, inputs.map((x) => x.info.label));
  const sources = [...latencySources(summary), ...questionSources(inputs, summary), ...plotSources(summary, samples), ...profileSources(profile)];
  onPhase?.('render svg+png');
  const plots: PlotView[] = [];
  const svgs: string[] = [];
  const pngJobs: Promise<Buffer>[] = [];
  for (const p of sources) {
    const svg = scopeSvgIds(await renderSvg(p.spec), p.id);
    svgs.push(svg);
    const png = svgToPng(svg);
    png.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
    pngJobs.push(png);
    plots.push({ id: p.id, title: p.title, caption: p.caption, svg, ...(p.sentence !== undefined && { sentence: p.sentence }), ...(p.profile && { profile: true }), ...(p.latency && { latency: true }) });
  }
  const pngs = await Promise.all(pngJobs);
  onPhase?.('html');
  const html = reportHtml({
    summary,
    runs: inputs.map((x) => x.info),
    setups: setups(inputs, summary),
    reference,
    talk: compareWithTalk(summary, reference),
    plots,
    profile: profile ?? null,
    dataLinks: dataFiles.links,
    summaryHref: 'summary.json',
  });
  return {
    files: [
      { path: 'summary.json', content: `${JSON.stringify(summary, null, 2)}\n` },
      ...plots.flatMap((p, i): OutputFile[] => [{ path: `${p.id}.svg`, content: svgs[i]! }, { path: `${p.id}.png`, content: pngs[i]! }]),
      ...dataFiles.copies,
      { path: 'report.html', content: html },
    ],
  };
}
