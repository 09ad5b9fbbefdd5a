import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEstimate } from '../reports/gate/boot-compare.ts';
import { decide, intervalLevel, intervalMinimumDetectable, samplesThresholdTests, tIntervalAt, tMinimumDetectable, tThresholdTests } from '../reports/gate/decide.ts';
import { mulberry32, noncentralityForPower, normalQuantile, pairedLogDiff, sdBiasFactor, studentTQuantile, welchLogDiff } from '../reports/stats/index.ts';

const up = Math.log(1.01);
const down = Math.log(0.99);
const close = (a: number, b: number, rel = 1e-6) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} against ${b}`);
const est = (e: ReturnType<typeof pairedLogDiff>, paired: boolean): LogEstimate => ({ est: e.diff, se: e.se, df: e.df!, units: e.n, paired });

// Per-seed log differences of a change of about +1.75 %, and of about none.
const slower = [0.021, 0.013, 0.018, 0.025, 0.009, 0.017, 0.022, 0.015, 0.011, 0.019, 0.024, 0.016];
const same = [0.003, -0.002, 0.001, 0.004, -0.001, 0.0, 0.002, -0.003, 0.001, 0.002, -0.002, 0.001];

test('threshold tests of a paired estimate match scipy.stats.ttest_1samp against the threshold, one-sided', () => {
  const s = tThresholdTests(est(pairedLogDiff(slower, 0), true), up, down);
  // scipy 1.17: ttest_1samp(d, log(1.01), alternative='greater').pvalue, and the others likewise
  close(s.regressed, 0.00014460901219994225);
  close(s.improved, 0.9999999995418187);
  close(s.equivalent, 0.9998553909878001);
  const n = tThresholdTests(est(pairedLogDiff(same, 0), true), up, down);
  close(n.regressed, 0.9999999950563341);
  close(n.equivalent, 4.943665933498701e-09, 1e-4);
  // ttest_1samp(d, 0).confidence_interval(0.98): the interval at 1 - 2 alpha for alpha 0.01
  const ci = tIntervalAt(est(pairedLogDiff(slower, 0), true), intervalLevel(0.01));
  close(ci[0], 0.013562550257649672);
  close(ci[1], 0.02143744974235033);
});

test('threshold tests of a Welch estimate match scipy.stats.ttest_ind(equal_var=False) against the threshold', () => {
  const a = [0.01, 0.02, 0.0, 0.015, 0.005];
  const b = [0.03, 0.04, 0.025, 0.035, 0.05, 0.045];
  // ttest_ind(b, a + log(1.01), equal_var=False, alternative='greater').pvalue
  close(tThresholdTests(est(welchLogDiff(a, b), false), up, down).regressed, 0.004120807854439733);
});

test('the interval and the test agree at the boundary: a lower bound on the threshold is p = alpha', () => {
  for (const alpha of [0.01, 0.025, 0.05]) {
    const se = 0.003;
    const df = 11;
    const e: LogEstimate = { est: up + studentTQuantile(1 - alpha, df) * se, se, df, units: 12, paired: true };
    close(tIntervalAt(e, intervalLevel(alpha))[0], up, 1e-9);
    close(tThresholdTests(e, up, down).regressed, alpha, 1e-6);
    // On the threshold itself, the test is at a coin's toss.
    close(tThresholdTests({ ...e, est: up }, up, down).regressed, 0.5, 1e-9);
  }
});

test('no spread: a point estimate beyond the threshold is certain, one on it is not', () => {
  const point = (x: number): LogEstimate => ({ est: x, se: 0, df: 11, units: 12, paired: true });
  assert.deepEqual(tThresholdTests(point(Math.log(1.05)), up, down), { regressed: 0, improved: 1, equivalent: 1 });
  assert.deepEqual(tThresholdTests(point(0), up, down), { regressed: 1, improved: 1, equivalent: 0 });
  assert.deepEqual(tThresholdTests(point(up), up, down), { regressed: 1, improved: 1, equivalent: 1 });
  assert.deepEqual(tIntervalAt(point(0.02), 0.98), [0.02, 0.02]);
});

test('decide: Holm within each family, strict at alpha, regressed before improved before no change', () => {
  const tests = [
    { regressed: 0.004, improved: 1, equivalent: 1 },
    { regressed: 0.006, improved: 1, equivalent: 1 },
    { regressed: 1, improved: 1, equivalent: 0.001 },
    { regressed: 0.5, improved: 0.5, equivalent: 0.5 },
  ];
  const { adjusted, verdicts } = decide(tests, 0.02);
  // Holm over 4: 0.004 * 4 = 0.016 < 0.02; 0.006 * 3 = 0.018 < 0.02
  assert.deepEqual(verdicts, ['regressed', 'regressed', 'no change', 'inconclusive']);
  close(adjusted[0]!.regressed, 0.016);
  close(adjusted[1]!.regressed, 0.018);
  close(adjusted[2]!.equivalent, 0.004);
  // p exactly at alpha is not below it
  assert.deepEqual(decide([{ regressed: 0.01, improved: 1, equivalent: 1 }], 0.01).verdicts, ['inconclusive']);
});

/** Paired log differences of B seeds drawn around a true change mu with sd per seed. */
function draws(mu: number, sd: number, b: number, rng: () => number): LogEstimate {
  const d = Array.from({ length: b }, () => mu + sd * normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, rng()))));
  return est(pairedLogDiff(d, 0), true);
}

test('error rates by simulation: at +threshold the gate says regressed at alpha; the minimum detectable change has 80 % power', () => {
  const rng = mulberry32(7);
  const alpha = 0.05;
  const runs = 4000;
  const sd = 0.006;
  const at = (mu: number) => {
    let reg = 0;
    let eq = 0;
    for (let i = 0; i < runs; i++) {
      const v = decide([tThresholdTests(draws(mu, sd, 12, rng), up, down)], alpha).verdicts[0];
      if (v === 'regressed') reg++;
      if (v === 'no change') eq++;
    }
    return { reg: reg / runs, eq: eq / runs };
  };
  const boundary = at(up);
  // binomial sd of a 5 % rate over 4000 runs: 0.34 pp
  assert.ok(Math.abs(boundary.reg - alpha) < 0.012, `regressed at the threshold: ${boundary.reg}`);
  assert.ok(at(0).reg < 0.001, 'no change at all is never called regressed against a 1 % threshold');
  // The detectable change as the gate states it: from each run's own estimated se, averaged over runs.
  const own = mulberry32(11);
  const statedRuns = 20000;
  const stated = Array.from({ length: statedRuns }, () => tMinimumDetectable(draws(0, sd, 12, own), up, alpha, 1));
  const mde = stated.reduce((a, x) => a + x, 0) / statedRuns;
  // Unbiased: it is the change found with 80 % power where the se is known (sd / sqrt(12) on 11 df).
  // The mean sample sd over 20000 runs has a relative sd of 0.15 %; without c4 the mean would be 2.2 % short.
  const known = up + noncentralityForPower(studentTQuantile(1 - alpha, 11), 11, 0.8) * (sd / Math.sqrt(12));
  close(mde - up, known - up, 0.0075);
  const power = at(mde).reg;
  // binomial sd of an 80 % rate over 4000 runs: 0.63 pp; the noncentral t with an unbiased se makes the claim exact, not approximate
  assert.ok(Math.abs(power - 0.8) < 0.025, `power at the detectable change ${Math.expm1(mde) * 100} %: ${power}`);
  // Equivalence at the edge of the margin: called "no change" at most alpha of the time.
  assert.ok(at(down).eq < alpha + 0.012, `no change at -threshold: ${at(down).eq}`);
});

test('samplesThresholdTests: a change well beyond the threshold is regressed, one well inside is no change', () => {
  const rng = mulberry32(3);
  const old = Array.from({ length: 40 }, () => 100 * (1 + 0.002 * (rng() - 0.5)));
  const slow = old.map((x) => x * 1.05);
  const shift = (xs: number[]) => (t: number) => xs.map((x) => x / (1 + t / 100));
  const r = samplesThresholdTests(old, shift(slow), 1);
  assert.ok(r.regressed < 1e-6 && r.equivalent > 0.99, JSON.stringify(r));
  const fast = samplesThresholdTests(old, shift(old.map((x) => x * 0.95)), 1);
  assert.ok(fast.improved < 1e-6 && fast.regressed > 0.99, JSON.stringify(fast));
  const flat = samplesThresholdTests(old, shift(old.map((x) => x * 1.001)), 1);
  assert.ok(flat.equivalent < 1e-6 && flat.regressed > 0.99, JSON.stringify(flat));
});

test('intervalMinimumDetectable reads the interval as a normal standard error', () => {
  // half-width 2.326 se at 98 %: se = 1, so the threshold plus z(0.99) + z(0.8) = 2.326 + 0.842
  const z99 = normalQuantile(0.99);
  close(intervalMinimumDetectable([-z99, z99], 1, 0.01, 1), 1 + z99 + normalQuantile(0.8));
});

test('sdBiasFactor is c4, E[s] / sigma of a normal sample (the tabulated values, from Gamma)', () => {
  // python: sqrt(2 / (n - 1)) * exp(lgamma(n / 2) - lgamma((n - 1) / 2)) for n = 2, 5, 12, 25
  close(sdBiasFactor(1), 0.7978845608028651, 1e-9);
  close(sdBiasFactor(4), 0.9399856029866257, 1e-9);
  close(sdBiasFactor(11), 0.9775593518547726, 1e-9);
  close(sdBiasFactor(24), 0.9896403755857051, 1e-9);
  assert.throws(() => sdBiasFactor(0), /df must be > 0/);
});
