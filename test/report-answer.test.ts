import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerItems, answerLead, answerSection } from '../reports/report/answer-section.ts';
import type { TalkReference } from '../reports/report/compare.ts';
import type { Summary } from '../reports/summary.ts';

const overhead = (pct: number, ci: [number, number], verdict: string, against = 'vanilla') => ({ against, pct, ci95_pct: ci, verdict });
const summary = {
  mode: 'icount',
  baseline: 'vanilla',
  scenarios: [
    { name: 'vanilla', overhead: null, latency: null, centre: { ns: 231780, ci95_ns: [230000, 233000] }, events: { ok: true } },
    { name: 'audit-execve', overhead: overhead(52.96, [52.1, 53.8], 'slower'), latency: { overhead: overhead(22.42, [21.9, 22.9], 'slower') }, centre: { ns: 354000, ci95_ns: [353000, 355000] }, events: { ok: true } },
    { name: 'kprobe', overhead: overhead(0.3, [-0.2, 0.8], 'inconclusive'), latency: null, centre: { ns: 232400, ci95_ns: [231000, 233000] }, events: { ok: false } },
  ],
} as unknown as Summary;
const reference = { setups: [{ scenario: 'vanilla', overhead_pct: null }, { scenario: 'audit-execve', overhead_pct: 28 }] } as unknown as TalkReference;
const descriptions = new Map([['audit-execve', 'auditd with an execve rule'], ['kprobe', null]]);

test('without questions, every scenario with an overhead is an answer: CPU cost, then latency, and the talk\'s figure where it has one', () => {
  const items = answerItems(summary, reference, [], descriptions);
  assert.deepEqual(items.map((i) => [i.subject, i.detail, i.talkPct]), [['audit-execve', '#talk', 28], ['kprobe', '#verdict', null]]);
  assert.deepEqual(items[0]!.figures.map((f) => [f.metric, f.pct, f.verdict]), [['CPU cost', 52.96, 'slower'], ['exec latency', 22.42, 'slower']]);
  const html = answerSection(answerLead(summary), items, ['kprobe']);
  assert.match(html, /<li><b>audit-execve<\/b> <span class="what">\(auditd with an execve rule\)<\/span>: <b>\+52\.96 %<\/b> CPU cost <span class="ci">\[\+52\.10, \+53\.80\] %<\/span>, <span class="verdict slower">slower<\/span> and <b>\+22\.42 %<\/b> exec latency .*; the talk measured <b>\+28\.0 %<\/b>\. <a href="#talk">detail<\/a><\/li>/);
  assert.match(html, /against <b>vanilla<\/b>, 231\.78 µs per exec/);
  assert.match(html, /The event check failed for kprobe/);
});

test('with questions, each question is an answer with its sentence, after the scenarios the talk measured', () => {
  const items = answerItems(summary, reference, [{ id: 'question-1', title: 'Which hook <is> cheapest?', sentence: 'kprobe +0.30 % [-0.20, +0.80] %.' }], descriptions);
  assert.deepEqual(items.map((i) => [i.subject, i.detail]), [['audit-execve', '#talk'], ['Which hook <is> cheapest?', '#q-question-1']]);
  const html = answerSection(answerLead(summary), items, []);
  assert.ok(html.includes('<li><b>Which hook &lt;is&gt; cheapest?</b>: kprobe +0.30 % [-0.20, +0.80] %. <a href="#q-question-1">detail</a></li>'), html);
  assert.ok(!html.includes('event check failed'));
});

test('a run of the baseline alone says there is nothing to compare', () => {
  const alone = { ...summary, scenarios: [summary.scenarios[0]!] } as Summary;
  assert.match(answerSection(answerLead(alone), answerItems(alone, reference, [], descriptions), []), /Only the baseline was measured/);
});
