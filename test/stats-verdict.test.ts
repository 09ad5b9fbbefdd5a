import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapRatioOfMedians, holmBonferroni, mannWhitneyU, verdict } from '../reports/stats/index.ts';
import { loadFixture } from './fixtures/stats/fixtures.ts';

test('significant and the whole CI above / below zero: slower / faster', () => {
  assert.equal(verdict({ pAdjusted: 0.01, ciPct: [0.5, 2] }), 'slower');
  assert.equal(verdict({ pAdjusted: 0.01, ciPct: [-3, -0.1] }), 'faster');
});

test('not significant, or a CI touching or straddling zero, and no equivalence tested: inconclusive', () => {
  assert.equal(verdict({ pAdjusted: 0.05, ciPct: [1, 2] }), 'inconclusive'); // p must be < alpha
  assert.equal(verdict({ pAdjusted: 0.2, ciPct: [-3, -1] }), 'inconclusive');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [-0.5, 2] }), 'inconclusive');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [0, 2] }), 'inconclusive');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [-2, 0] }), 'inconclusive');
});

test('alpha and thresholdPct move the decision', () => {
  assert.equal(verdict({ pAdjusted: 0.08, ciPct: [1, 2], alpha: 0.1 }), 'slower');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [1, 2], thresholdPct: 1 }), 'inconclusive');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [1.01, 2], thresholdPct: 1 }), 'slower');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [-2, -1.5], thresholdPct: 2 }), 'inconclusive');
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [-3, -2.5], thresholdPct: 2 }), 'faster');
});

test('equivalent only when the equivalence interval lies strictly inside the margin', () => {
  const eq = (lo: number, hi: number, marginPct = 1) => verdict({ pAdjusted: 0.5, ciPct: [lo - 0.1, hi + 0.1], equivalenceCiPct: [lo, hi], marginPct });
  assert.equal(eq(-0.4, 0.6), 'equivalent');
  assert.equal(eq(-0.4, 1), 'inconclusive'); // on the margin is not inside it
  assert.equal(eq(-1.2, 0.2), 'inconclusive');
  assert.equal(eq(-0.4, 0.6, 0), 'inconclusive'); // no margin, no equivalence
  // A shown difference wins over equivalence: a tiny but significant +0.3 % within a 1 % margin is slower.
  assert.equal(verdict({ pAdjusted: 0.001, ciPct: [0.2, 0.4], equivalenceCiPct: [0.1, 0.5], marginPct: 1 }), 'slower');
  assert.throws(() => verdict({ pAdjusted: 0.5, ciPct: [0, 1], equivalenceCiPct: [1, 0], marginPct: 1 }), /equivalenceCiPct/);
});

test('verdict rejects nonsense input', () => {
  assert.throws(() => verdict({ pAdjusted: NaN, ciPct: [1, 2] }), /pAdjusted/);
  assert.throws(() => verdict({ pAdjusted: 0.01, ciPct: [2, 1] }), /lo <= hi/);
  assert.throws(() => verdict({ pAdjusted: 0.01, ciPct: [1, Infinity] }), /finite interval/);
  assert.throws(() => verdict({ pAdjusted: 0.01, ciPct: [1, 2], alpha: 0 }), /alpha/);
  assert.throws(() => verdict({ pAdjusted: 0.01, ciPct: [1, 2], thresholdPct: -1 }), /thresholdPct/);
});

test('end to end on the fixture data: 3 % slower group is "slower", same distribution is not', () => {
  const { large } = loadFixture<{ large: { base: number[]; other: number[] } }>('bootstrap.json');
  const half = large.base.length / 2;
  const pairs = [
    { base: large.base, other: large.other },
    { base: large.base.slice(0, half), other: large.base.slice(half) },
  ];
  const tests = pairs.map(({ base, other }) => ({
    p: mannWhitneyU(base, other).pValue,
    ci: bootstrapRatioOfMedians(base, other, { resamples: 2000 }).overheadPctCI,
  }));
  const adjusted = holmBonferroni(tests.map((t) => t.p));
  const verdicts = tests.map((t, i) => verdict({ pAdjusted: adjusted[i] as number, ciPct: t.ci }));
  assert.deepEqual(verdicts, ['slower', 'inconclusive']);
});
