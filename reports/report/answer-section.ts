/**
 * The report's first block: the answer. One sentence per question of the
 * matrix, or per scenario where the matrix asks none (for the seed matrix:
 * what audit without rules, audit with an execve rule and KRSI cost), each
 * with its figure, interval and verdict, the talk's figure beside it where
 * the talk measured it, and a link to the detail further down.
 */
import type { Overhead, ScenarioSummary, Summary } from '../summary.ts';
import type { TalkReference } from './compare.ts';
import { esc } from './escape.ts';
import { pctInterval, signedPct, us, usInterval, verdictClass, verdictText } from './format.ts';

/** One line of the answer, as plain data (the page escapes every field). */
export interface AnswerItem {
  /** A scenario's name, or a question's title. */
  subject: string;
  /** The scenario's description; null for a question. */
  description: string | null;
  /** Its figures: the CPU cost's overhead first, then the latency's where measured. */
  figures: { metric: 'CPU cost' | 'exec latency'; pct: number; ci95Pct: [number, number]; verdict: string; against: string }[];
  /** A question's answer in numbers, where the item is a question. */
  sentence: string | null;
  /** The talk's overhead for this scenario; null: not in the talk (or a question). */
  talkPct: number | null;
  /** Where the detail is: an anchor of the page. */
  detail: string;
}

/** What the answer says before its items: the baseline's own figure. */
export interface AnswerLead {
  baseline: string;
  centreNs: number | null;
  ci95Ns: readonly [number | null, number | null] | null;
  mode: string;
}

const figuresOf = (s: ScenarioSummary): AnswerItem['figures'] => {
  const out: AnswerItem['figures'] = [];
  const add = (metric: 'CPU cost' | 'exec latency', o: Overhead | null | undefined) => {
    if (o) out.push({ metric, pct: o.pct, ci95Pct: [o.ci95_pct[0], o.ci95_pct[1]], verdict: verdictText(o), against: o.against });
  };
  add('CPU cost', s.overhead);
  add('exec latency', s.latency?.overhead);
  return out;
};

/**
 * The items: each question of the matrix (its plot's id and sentence), then each
 * scenario the talk measured; a matrix without questions gets every scenario with
 * an overhead instead.
 */
export function answerItems(
  summary: Summary,
  reference: TalkReference,
  questions: { id: string; title: string; sentence: string }[],
  descriptions: Map<string, string | null>,
): AnswerItem[] {
  const talk = new Map(reference.setups.map((s) => [s.scenario, s.overhead_pct]));
  const asked: AnswerItem[] = questions.map((q) => ({ subject: q.title, description: null, figures: [], sentence: q.sentence, talkPct: null, detail: `#q-${q.id}` }));
  const scenarios = summary.scenarios.filter((s) => s.overhead && (questions.length === 0 || talk.has(s.name)));
  const measured = scenarios.map((s): AnswerItem => ({
    subject: s.name,
    description: descriptions.get(s.name) ?? null,
    figures: figuresOf(s),
    sentence: null,
    talkPct: talk.get(s.name) ?? null,
    detail: talk.has(s.name) ? '#talk' : '#verdict',
  }));
  return [...measured, ...asked];
}

export function answerLead(summary: Summary): AnswerLead {
  const base = summary.scenarios.find((s) => s.name === summary.baseline);
  return { baseline: summary.baseline, centreNs: base?.centre.ns ?? null, ci95Ns: base?.centre.ci95_ns ?? null, mode: summary.mode };
}

function itemHtml(a: AnswerItem, baseline: string): string {
  const what = a.description ? ` <span class="what">(${esc(a.description)})</span>` : '';
  const link = ` <a href="${esc(a.detail)}">detail</a>`;
  if (a.sentence !== null) return `<li><b>${esc(a.subject)}</b>: ${esc(a.sentence)}${link}</li>`;
  const figures = a.figures.map((f) => {
    const vs = f.against !== baseline ? ` against ${esc(f.against)}` : '';
    return `<b>${signedPct(f.pct)}</b> ${f.metric}${vs} <span class="ci">${pctInterval(f.ci95Pct)}</span>, <span class="verdict ${verdictClass(f.verdict)}">${esc(f.verdict)}</span>`;
  });
  const talk = a.talkPct === null ? '' : `; the talk measured <b>${signedPct(a.talkPct, 1)}</b>`;
  return `<li><b>${esc(a.subject)}</b>${what}: ${figures.join(' and ')}${talk}.${link}</li>`;
}

/** The answer block, first on the page. */
export function answerSection(lead: AnswerLead, items: AnswerItem[], failedChecks: string[]): string {
  const unit = lead.mode === 'icount' ? 'instruction-time: the same on every machine, not wall-clock' : lead.mode === 'kvm' ? 'wall-clock in a KVM guest on this host' : 'unit not recorded';
  const base = lead.centreNs === null ? '' : `, ${us(lead.centreNs)} µs per exec <span class="ci">${lead.ci95Ns ? usInterval(lead.ci95Ns) : ''}</span> (${unit}; see <a href="#method">the method</a>)`;
  const list = items.length
    ? `<ul class="answers">\n${items.map((a) => itemHtml(a, lead.baseline)).join('\n')}\n</ul>`
    : '<p>Only the baseline was measured: there is nothing to compare.</p>';
  const checks = failedChecks.length
    ? `<p class="bad">The event check failed for ${failedChecks.map(esc).join(', ')}: the instrumentation did not log what it had to, so its cost does not stand (see <a href="#notes">the notes</a>).</p>`
    : '';
  return `<section id="answer"><h2>The answer</h2>
<p>Each overhead is per exec, against <b>${esc(lead.baseline)}</b>${base}, with its 95 % interval and verdict (Holm-adjusted).</p>
${list}
${checks}
</section>`;
}
