import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geometricMeanCI, pairedLogRatio, welchLogRatio, type RatioTest } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface GeoCase {
  name: string;
  samples: number[];
  confidence: number;
  n: number;
  centre: number;
  sdLog: number;
  /** exp of scipy.stats.t.interval on the logs */
  ci: [number, number];
  /** the same interval with a 40-digit t quantile (scipy 1.10's t.ppf is good to ~1e-9) */
  ciExactT: [number, number];
}
interface RatioCase {
  name: string;
  base: number[];
  other: number[];
  confidence: number;
  n: number;
  df: number;
  ratio: number;
  /** scipy's interval */
  ratioCI: [number, number];
  /** the same interval with a 40-digit t quantile */
  ratioCIExactT: [number, number];
  pValue: number;
}
const fx = loadFixture<{ geometricMean: GeoCase[]; paired: RatioCase[]; welch: RatioCase[] }>('boot-level.json');

/** 1e-12 against the exact-quantile interval; scipy's own interval carries its t.ppf error (up to ~1e-9). */
function assertInterval(actual: [number, number] | null, exactT: [number, number], scipy: [number, number]): void {
  assert.ok(actual);
  assertClose(actual[0], exactT[0], 1e-12, 'ci lo');
  assertClose(actual[1], exactT[1], 1e-12, 'ci hi');
  assertClose(actual[0], scipy[0], 1e-8, 'ci lo vs scipy');
  assertClose(actual[1], scipy[1], 1e-8, 'ci hi vs scipy');
}

for (const c of fx.geometricMean) {
  test(`geometricMeanCI matches scipy.stats.t.interval on the logs: ${c.name}`, () => {
    const r = geometricMeanCI(c.samples, c.confidence);
    assert.equal(r.n, c.n);
    assert.equal(r.confidence, c.confidence);
    assertClose(r.centre, c.centre, 1e-13, 'centre');
    assertClose(r.sdLog as number, c.sdLog, 1e-10, 'sdLog');
    assertInterval(r.ci, c.ciExactT, c.ci);
  });
}

function checkRatio(r: RatioTest, c: RatioCase, method: RatioTest['method']): void {
  assert.equal(r.method, method);
  assert.equal(r.n, c.n);
  assert.equal(r.confidence, c.confidence);
  assertClose(r.df as number, c.df, 1e-10, 'df');
  assertClose(r.ratio, c.ratio, 1e-13, 'ratio');
  assertInterval(r.ratioCI, c.ratioCIExactT, c.ratioCI);
  assertClose(r.pValue as number, c.pValue, 1e-10, 'p-value');
}

for (const c of fx.paired) {
  test(`pairedLogRatio matches scipy.stats.ttest_rel on the logs: ${c.name}`, () => {
    checkRatio(pairedLogRatio(c.base, c.other, c.confidence), c, 'paired-t');
  });
}

for (const c of fx.welch) {
  test(`welchLogRatio matches scipy.stats.ttest_ind(equal_var=False) on the logs: ${c.name}`, () => {
    checkRatio(welchLogRatio(c.base, c.other, c.confidence), c, 'welch-t');
  });
}

test('swapping base and other inverts the ratio and its interval, same p-value', () => {
  for (const [fn, cases] of [[pairedLogRatio, fx.paired], [welchLogRatio, fx.welch]] as const) {
    for (const c of cases) {
      const ab = fn(c.base, c.other);
      const ba = fn(c.other, c.base);
      assertClose(ba.ratio, 1 / ab.ratio, 1e-14, c.name);
      assertClose((ba.ratioCI as [number, number])[0], 1 / (ab.ratioCI as [number, number])[1], 1e-13, c.name);
      assertClose(ba.pValue as number, ab.pValue as number, 1e-12, c.name);
    }
  }
});

test('fewer than 2 values: no interval, p-value or df', () => {
  const one = geometricMeanCI([300]);
  assertClose(one.centre, 300, 1e-15, 'centre');
  assert.deepEqual({ ...one, centre: 300 }, { n: 1, centre: 300, ci: null, sdLog: null, confidence: 0.95 });
  const pair = pairedLogRatio([200], [250], 0.9);
  assertClose(pair.ratio, 1.25, 1e-15, 'ratio');
  assert.deepEqual({ ...pair, ratio: 1.25 }, {
    method: 'paired-t', n: 1, df: null, ratio: 1.25, ratioCI: null, pValue: null, confidence: 0.9,
  });
  for (const [base, other] of [[[200], [250, 260]], [[200, 210, 220], [250]]]) {
    const r = welchLogRatio(base as number[], other as number[]);
    assert.equal(r.n, (base as number[]).length + (other as number[]).length);
    assert.equal(r.df, null);
    assert.equal(r.ratioCI, null);
    assert.equal(r.pValue, null);
    assert.ok(Number.isFinite(r.ratio));
  }
});

test('zero spread: the interval collapses to the ratio, p is 1 for no change and 0 otherwise', () => {
  // every pair exactly 2x (the logs of 2x and x differ by ln 2 up to rounding)
  const doubled = pairedLogRatio([1, 2, 3, 250], [2, 4, 6, 500]);
  assert.equal(doubled.df, 3);
  assertClose(doubled.ratio, 2, 1e-15, 'ratio');
  assert.deepEqual(doubled.ratioCI, [doubled.ratio, doubled.ratio]);
  assert.equal(doubled.pValue, 0);
  const same = pairedLogRatio([290, 291.5, 300], [290, 291.5, 300]);
  assert.deepEqual(same, { method: 'paired-t', n: 3, df: 2, ratio: 1, ratioCI: [1, 1], pValue: 1, confidence: 0.95 });

  const welchSame = welchLogRatio([290, 290, 290], [290, 290]);
  assert.deepEqual(welchSame, { method: 'welch-t', n: 5, df: null, ratio: 1, ratioCI: [1, 1], pValue: 1, confidence: 0.95 });
  const welchShift = welchLogRatio([290, 290, 290], [300, 300]);
  assertClose(welchShift.ratio, 300 / 290, 1e-15, 'ratio');
  assert.deepEqual(welchShift.ratioCI, [welchShift.ratio, welchShift.ratio]);
  assert.equal(welchShift.pValue, 0);
  assert.equal(welchShift.df, null);
  // one constant group: Welch's df is the other group's n - 1
  const oneConstant = welchLogRatio([290, 290, 290], [300, 303, 297, 301]);
  assertClose(oneConstant.df as number, 3, 1e-14, 'df');
  assert.ok((oneConstant.pValue as number) > 0 && (oneConstant.pValue as number) < 0.01);

  const constant = geometricMeanCI([0.1, 0.1, 0.1]);
  assert.equal(constant.sdLog, 0);
  assert.deepEqual(constant.ci, [constant.centre, constant.centre]);
});

test('bad input throws', () => {
  assert.throws(() => pairedLogRatio([1, 2, 3], [1, 2]), /must be pairs, got 3 and 2/);
  assert.throws(() => pairedLogRatio([1, 0], [1, 2]), /base: sample 1 is 0; samples must be > 0/);
  assert.throws(() => pairedLogRatio([1, 2], [1, -2]), /other: sample 1 is -2/);
  assert.throws(() => welchLogRatio([1, Infinity], [1, 2]), /base: sample 1 is Infinity/);
  assert.throws(() => welchLogRatio([1, 2], [NaN]), /other: sample 0 is NaN/);
  assert.throws(() => welchLogRatio([], [1]), /no samples/);
  assert.throws(() => geometricMeanCI([1, -1]), /sample 1 is -1/);
  assert.throws(() => geometricMeanCI([1, 2], 1), /confidence must be strictly between 0 and 1/);
  assert.throws(() => pairedLogRatio([1, 2], [1, 2], 0), /confidence must be strictly between 0 and 1/);
});
