import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerQuestions } from '../reports/report/questions.ts';
import type { ScenarioInfo } from '../reports/report/run-info.ts';
import type { Summary } from '../reports/summary.ts';

// Boots of seeds 42-47 on one kernel: a layout factor per seed that every scenario shares, times the scenario's level.
const LAYOUT = [1.0, 1.03, 0.99, 1.01, 1.0, 0.98];
const boots = (level: number, jitter: number[]) => LAYOUT.map((f, i) => ({ seed: 42 + i, median_ns: 200_000 * level * f * (1 + jitter[i]!) }));
const steady = [0, 0.001, -0.001, 0.0005, -0.0005, 0];
const scenario = (name: string, pct: number, ci: [number, number], against = 'vanilla', lost: number | null = 0, jitter = steady) => ({
  name, kernel: 'noaudit', centre: { method: 'boots' }, per_boot: boots(1 + pct / 100, jitter), overhead: { against, pct, ci95_pct: ci }, events: { lost, expected: 600 },
});
const summary = {
  scenarios: [
    { name: 'vanilla', overhead: null, events: { lost: 0, expected: 0 } },
    scenario('env-0-one-var', 5, [4, 6], 'env-0-none'), scenario('env-0-all-vars', 6.4, [5.2, 7.6], 'env-0-none'),
    scenario('env-32-one-var', 33.7, [30, 37], 'env-32-none'), scenario('env-32-all-vars', 55.7, [49, 62], 'env-32-none'),
    scenario('kprobe', 4.4, [2, 7]), scenario('seccomp-notify', 21.7, [19.4, 24.1], 'vanilla', 0, [0.002, -0.001, 0, 0.001, -0.002, 0.001]), scenario('fentry', 6.7, [-10, 27], 'vanilla', 0, [0.05, -0.06, 0.04, -0.05, 0.06, -0.03]),
    scenario('sleepable', 4.5, [2, 7], 'vanilla', 0, [-0.002, 0.001, 0.001, -0.002, 0.001, -0.002]),
    scenario('burst-ringbuf-small', 3, [1, 5], 'burst-none', 412),
    scenario('audit-rules-10', 0.3, [-1, 1.6], 'audit-compiled'), scenario('audit-rules-1000', 21.2, [19, 23], 'audit-compiled'),
  ],
} as unknown as Summary;
const info = (name: string, envPages: number | null, auditRules: number | null) => ({ name, envPages, auditRules }) as ScenarioInfo;
const infos = [
  info('env-0-one-var', 0, null), info('env-0-all-vars', 0, null), info('env-32-one-var', 32, null), info('env-32-all-vars', 32, null),
  info('audit-rules-10', 0, 10), info('audit-rules-1000', 0, 1000),
];

test('each question is answered in one sentence with the intervals, from the scenarios it names', () => {
  const [env, alt, ordered, alike, burst, rules, none] = answerQuestions([
    { title: 'env', scenarios: ['env-0-one-var', 'env-0-all-vars', 'env-32-one-var', 'env-32-all-vars'], plot: 'env-pages' },
    { title: 'alternatives', scenarios: ['kprobe', 'seccomp-notify', 'fentry'], plot: 'forest', notes: { 'seccomp-notify': 'TOCTTOU.' } },
    { title: 'overlapping', scenarios: ['fentry', 'kprobe'], plot: 'forest' },
    { title: 'alike', scenarios: ['kprobe', 'sleepable'], plot: 'forest' },
    { title: 'burst', scenarios: ['burst-ringbuf-small', 'perfbuf-not-run'], plot: 'forest' },
    { title: 'rules', scenarios: ['audit-rules-1000', 'audit-rules-10'], plot: 'rule-count' },
    { title: 'none', scenarios: ['nothing'], plot: 'forest' },
  ], summary, infos);
  assert.equal(env!.sentence, 'At 0 pages of environment, one-var +5.00 % [+4.00, +6.00] %, all-vars +6.40 % [+5.20, +7.60] %; at 32 pages of environment, one-var +33.70 % [+30.00, +37.00] %, all-vars +55.70 % [+49.00, +62.00] % (each against the same environment without instrumentation).');
  assert.deepEqual(env!.rows.map((r) => [r.series, r.x]), [['one-var', 0], ['all-vars', 0], ['one-var', 32], ['all-vars', 32]]);
  assert.match(alt!.sentence, /^Against vanilla, from the cheapest: kprobe \+4\.40 % .*, fentry \+6\.70 % .*, seccomp-notify \+21\.70 % .*\. seccomp-notify against kprobe directly \(paired by seed over 6 seeds\): \+16\.5\d % \[\+16\.\d\d, \+16\.\d\d\] %, p = \de-\d+: kprobe costs less\. seccomp-notify: TOCTTOU\.$/);
  // fentry's boots scatter by ±6 % around its level: the direct test shows neither an order nor equivalence.
  assert.match(ordered!.sentence, /^Against vanilla, from the cheapest: kprobe .*, fentry .*\. fentry against kprobe directly \(paired by seed over 6 seeds\): \+2\.\d\d % \[-\d\.\d\d, \+\d\.\d\d\] %, p = 0\.\d{3}: no order is shown, and no equivalence either\.$/);
  // Levels 0.1 % apart with the same layouts: shown equivalent, not merely "overlapping".
  assert.match(alike!.sentence, /sleepable against kprobe directly \(paired by seed over 6 seeds\): \+0\.\d\d % \[-0\.\d\d, \+0\.\d\d\] %, p = 0\.\d{3}: the two are equivalent within ±1 %\.$/);
  assert.match(burst!.sentence, /burst-ringbuf-small \+3\.00 % \[\+1\.00, \+5\.00\] % \(412 of 600 events lost\) against burst-none\. Not in this run: perfbuf-not-run\.$/);
  assert.equal(rules!.sentence, 'Against audit-compiled: 10 rules +0.30 % [-1.00, +1.60] %, 1000 rules +21.20 % [+19.00, +23.00] %.');
  assert.deepEqual(none!.rows, []);
  assert.equal(none!.sentence, 'None of its scenarios was run. Not in this run: nothing.');
});
