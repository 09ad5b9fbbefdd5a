/**
 * The matrix's questions, answered from the summary: for each, one sentence
 * in numbers with their 95 % intervals, and the rows of its plot. A question
 * whose scenarios were not run (a --scenarios subset) says so instead.
 */
import type { LogDelay, Question } from '../../lib/results.ts';
import { verdict, type Verdict } from '../stats/index.ts';
import { bootRatio, EQUIVALENCE_MARGIN_PCT, type ScenarioSummary, type Summary } from '../summary.ts';
import { pctInterval, signedPct } from './format.ts';
import type { ScenarioInfo } from './run-info.ts';

/** One point of a question's plot: a scenario's overhead with its interval. */
export interface AnswerRow {
  scenario: string;
  /** Against which scenario. */
  against: string;
  pct: number;
  lo: number;
  hi: number;
  /** env-pages: the design (the scenario name after env-P-); rule-count: "audit rules". */
  series: string;
  /** env-pages: filler pages; rule-count: the number of rules; forest: null. */
  x: number | null;
  label: string;
  /** Events the instrumentation lost (null: unknown), of those it had to log. */
  lost: number | null;
  expected: number;
  /** The exec latency's overhead against the same scenario, where the run measured it. */
  latency: { pct: number; lo: number; hi: number } | null;
  /** How long its records took to reach the file, where the logger timed them (the exec logger). */
  delay: LogDelay | null;
}

export interface Answer {
  question: Question;
  /** HTML-free text: the report escapes it. */
  sentence: string;
  rows: AnswerRow[];
  /** Scenarios of the question that this summary has no overhead for. */
  missing: string[];
}

/** A delay in guest time, in the unit that keeps it readable. */
const duration = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${(ns / 1e3).toFixed(1)} µs`);

/**
 * The CPU overhead with its interval, the latency's, the events lost where any were (drops beside
 * cost), and how long records took to reach the file where that was timed (cheap is no answer if late).
 */
const overheadText = (r: AnswerRow) => {
  const latency = r.latency ? ` (latency ${signedPct(r.latency.pct)} ${pctInterval([r.latency.lo, r.latency.hi])})` : '';
  const lost = r.lost === null ? ' (events lost: unknown)' : r.lost > 0 ? ` (${r.lost} of ${r.expected} events lost)` : '';
  const delay = r.delay ? ` (records in the file after ${duration(r.delay.p50Ns)} median, ${duration(r.delay.p99Ns)} p99, ${duration(r.delay.maxNs)} at most)` : '';
  return `${signedPct(r.pct)} ${pctInterval([r.lo, r.hi])}${latency}${lost}${delay}`;
};

function rowOf(s: ScenarioSummary, info: ScenarioInfo | undefined, plot: Question['plot']): AnswerRow | null {
  const o = s.overhead;
  if (!o) return null;
  const series = plot === 'env-pages' ? s.name.replace(/^env-\d+-/, '') : plot === 'rule-count' ? 'audit rules' : s.name;
  const x = plot === 'env-pages' ? (info?.envPages ?? null) : plot === 'rule-count' ? (info?.auditRules ?? null) : null;
  return {
    scenario: s.name, against: o.against, pct: o.pct, lo: o.ci95_pct[0], hi: o.ci95_pct[1], series, x, label: `${signedPct(o.pct)}`,
    lost: s.events.lost, expected: s.events.expected, delay: s.events.delay ?? null,
    latency: s.latency?.overhead ? { pct: s.latency.overhead.pct, lo: s.latency.overhead.ci95_pct[0], hi: s.latency.overhead.ci95_pct[1] } : null,
  };
}

function envPagesSentence(rows: AnswerRow[]): string {
  const pages = [...new Set(rows.flatMap((r) => (r.x === null ? [] : [r.x])))].sort((a, b) => a - b);
  const ends = pages.length > 1 ? [pages[0]!, pages.at(-1)!] : pages;
  const designs = [...new Set(rows.map((r) => r.series))];
  const at = (p: number) => designs.flatMap((d) => rows.filter((r) => r.series === d && r.x === p).map((r) => `${d} ${overheadText(r)}`)).join(', ');
  const parts = ends.map((p, i) => `${i === 0 ? 'At' : 'at'} ${p} page${p === 1 ? '' : 's'} of environment, ${at(p)}`);
  return `${parts.join('; ')} (each against the same environment without instrumentation).`;
}

/** One scenario against another, tested directly: what a question's order rests on. */
export interface DirectComparison {
  /** (dear / cheap - 1) * 100 of the CPU cost. */
  pct: number;
  ci: [number, number];
  p: number;
  method: 'paired-t' | 'welch-t';
  /** Seeds paired, or boots of both; kernel links (pairs of them, paired) where boots shared links. */
  units: number;
  overLinks: boolean;
  verdict: Verdict;
}

/**
 * `other` against `base` on their boots' medians: paired by seed where they
 * share seeds, whatever the kernels (summary.ts, bootRatio), Welch's test on
 * the logs otherwise. Null where either has fewer than
 * two boots of drawn layouts: one layout cannot order two mechanisms.
 */
export function directComparison(base: ScenarioSummary, other: ScenarioSummary, alpha = 0.05): DirectComparison | null {
  if (base.centre?.method !== 'boots' || other.centre?.method !== 'boots') return null;
  const { test, links } = bootRatio({ boots: base.per_boot }, { boots: other.per_boot });
  const t = test(0.95);
  const eq = test(1 - 2 * alpha).ratioCI;
  if (!t.ratioCI || t.pValue === null || !eq) return null;
  const pct = (r: number) => (r - 1) * 100;
  const ci: [number, number] = [pct(t.ratioCI[0]), pct(t.ratioCI[1])];
  return {
    pct: pct(t.ratio), ci, p: t.pValue, method: t.method === 'paired-t' ? 'paired-t' : 'welch-t', units: t.n, overLinks: links !== null,
    verdict: verdict({ pAdjusted: t.pValue, ciPct: ci, alpha, equivalenceCiPct: [pct(eq[0]), pct(eq[1])], marginPct: EQUIVALENCE_MARGIN_PCT }),
  };
}

/** The sentence of a direct test of the dearest against the cheapest. */
function directText(cheap: string, dear: string, d: DirectComparison | null): string {
  if (d === null) return ` Whether ${cheap} costs less than ${dear} is not tested: one layout (fixed, or a single boot) cannot order them.`;
  const how = d.overLinks
    ? (d.method === 'paired-t' ? `paired by seed, over the ${d.units} pairs of kernel links the seeds ran` : `Welch over ${d.units} kernel links, no seeds in common`)
    : d.method === 'paired-t' ? `paired by seed over ${d.units} seeds` : `Welch over ${d.units} boots, no seeds in common`;
  const figure = `${dear} against ${cheap} directly (${how}): ${signedPct(d.pct)} ${pctInterval(d.ci)}, p ${d.p >= 0.001 ? `= ${d.p.toFixed(3)}` : d.p >= 1e-16 ? `= ${d.p.toExponential(0)}` : '< 1e-16'}`;
  if (d.verdict === 'slower') return ` ${figure}: ${cheap} costs less.`;
  if (d.verdict === 'faster') return ` ${figure}: ${dear} costs less, against the order of their overheads.`;
  if (d.verdict === 'equivalent') return ` ${figure}: the two are equivalent within ±${EQUIVALENCE_MARGIN_PCT} %.`;
  return ` ${figure}: no order is shown, and no equivalence either.`;
}

function forestSentence(rows: AnswerRow[], summary: Summary): string {
  const sorted = [...rows].sort((a, b) => a.pct - b.pct);
  const all = sorted.map((r) => `${r.scenario} ${overheadText(r)}`).join(', ');
  const against = [...new Set(sorted.map((r) => r.against))].join(' or ');
  if (sorted.length === 1) return `${all} against ${against}.`;
  // An order is claimed only from a direct test of the ends, never from intervals that do or do not overlap.
  const lo = sorted[0]!;
  const hi = sorted.at(-1)!;
  const find = (name: string) => summary.scenarios.find((x) => x.name === name)!;
  const direct = lo.against === hi.against
    ? directText(lo.scenario, hi.scenario, directComparison(find(lo.scenario), find(hi.scenario)))
    : ` ${lo.scenario} and ${hi.scenario} are against different baselines: not compared directly.`;
  return `Against ${against}, from the cheapest: ${all}.${direct}`;
}

function ruleCountSentence(rows: AnswerRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.x ?? 0) - (b.x ?? 0));
  return `Against ${[...new Set(sorted.map((r) => r.against))].join(' or ')}: ${sorted.map((r) => `${r.x ?? '?'} rule${r.x === 1 ? '' : 's'} ${overheadText(r)}`).join(', ')}.`;
}

export function answerQuestions(questions: Question[], summary: Summary, infos: ScenarioInfo[]): Answer[] {
  return questions.map((question) => {
    const rows: AnswerRow[] = [];
    const missing: string[] = [];
    for (const name of question.scenarios) {
      const s = summary.scenarios.find((x) => x.name === name);
      const row = s ? rowOf(s, infos.find((i) => i.name === name), question.plot) : null;
      if (row) rows.push(row);
      else missing.push(name);
    }
    const lacking = missing.length ? ` Not in this run: ${missing.join(', ')}.` : '';
    const notes = rows.flatMap((r) => (question.notes?.[r.scenario] ? [` ${r.scenario}: ${question.notes[r.scenario]}`] : [])).join('');
    if (rows.length === 0) return { question, sentence: `None of its scenarios was run.${lacking}`, rows, missing };
    const sentence = question.plot === 'env-pages' ? envPagesSentence(rows) : question.plot === 'rule-count' ? ruleCountSentence(rows) : forestSentence(rows, summary);
    return { question, sentence: sentence + notes + lacking, rows, missing };
  });
}
