import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, MAD_SCALE, medianCIOrders, type MedianCIOrders } from '../reports/stats/index.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface Expected {
  n: number;
  mean: number;
  sd: number | null;
  min: number;
  max: number;
  median: number;
  percentiles: Record<'p5' | 'p25' | 'p75' | 'p95' | 'p99', number>;
  madRaw: number;
  madScipyNormal: number;
  medianCI: MedianCIOrders & { lo: number | null; hi: number | null };
  outliers: {
    mild: number;
    severe: number;
    low: { mild: number; severe: number };
    high: { mild: number; severe: number };
    fences: Record<'lowerSevere' | 'lowerMild' | 'upperMild' | 'upperSevere', number>;
  };
}
interface DescribeFixture {
  cases: { name: string; samples: number[]; confidence: number; expected: Expected }[];
  medianCIOrders: (MedianCIOrders & { confidence: number })[];
}
const fx = loadFixture<DescribeFixture>('describe.json');
const REL = 1e-12;

for (const { name, samples, confidence, expected: e } of fx.cases) {
  test(`describe matches numpy/scipy: ${name}`, () => {
    const d = describe(samples, { confidence });
    assert.equal(d.n, e.n);
    assertClose(d.mean, e.mean, REL, 'mean');
    if (e.sd === null) assert.equal(d.sd, null);
    else assertClose(d.sd ?? NaN, e.sd, REL, 'sd', 1e-12);
    assert.equal(d.min, e.min);
    assert.equal(d.max, e.max);
    assertClose(d.median, e.median, REL, 'median');
    for (const k of ['p5', 'p25', 'p75', 'p95', 'p99'] as const) {
      assertClose(d.percentiles[k], e.percentiles[k], REL, k);
    }
    assertClose(d.mad, e.madRaw * MAD_SCALE, REL, 'mad vs scipy scale=1 times 1.4826');
    assertClose(d.mad, e.madScipyNormal, 2e-6, "mad vs scipy scale='normal' (1.482602...)");

    assert.equal(d.medianCI.loOrder, e.medianCI.loOrder, 'median CI lower order statistic');
    assert.equal(d.medianCI.hiOrder, e.medianCI.hiOrder, 'median CI upper order statistic');
    assert.equal(d.medianCI.lo, e.medianCI.lo);
    assert.equal(d.medianCI.hi, e.medianCI.hi);
    assert.equal(d.medianCI.finite, e.medianCI.lo !== null && e.medianCI.hi !== null);
    assert.equal(d.medianCI.confidence, confidence);
    assertClose(d.medianCI.coverage, e.medianCI.coverage, 1e-9, 'median CI coverage');

    const { fences, ...counts } = d.outliers;
    const { fences: eFences, ...eCounts } = e.outliers;
    assert.deepEqual(counts, eCounts);
    for (const k of Object.keys(eFences) as (keyof typeof eFences)[]) {
      assertClose(fences[k], eFences[k], REL, `fence ${k}`, 1e-12);
    }
  });
}

test('the description survives a JSON round trip unchanged (no Infinity or NaN)', () => {
  for (const { samples } of fx.cases) {
    const d = describe(samples);
    assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
  }
});

test('medianCIOrders picks the same order statistics as benchstat, n = 1..120 and large n', () => {
  for (const e of fx.medianCIOrders) {
    const got = medianCIOrders(e.n, e.confidence);
    const label = `n=${e.n} confidence=${e.confidence}`;
    assert.deepEqual([got.loOrder, got.hiOrder], [e.loOrder, e.hiOrder], label);
    assertClose(got.coverage, e.coverage, 1e-9, label);
    assert.ok(got.coverage >= e.confidence, `${label}: coverage below the requested level`);
  }
});

test('describe rejects empty and non-finite input and leaves the input untouched', () => {
  assert.throws(() => describe([]), /empty/);
  assert.throws(() => describe([1, NaN, 3]), /sample 1 is NaN/);
  assert.throws(() => describe([1, Infinity]), /sample 1 is Infinity/);
  assert.throws(() => describe([1, 'x' as unknown as number]), /finite numbers/);
  const input = [3, 1, 2];
  describe(input);
  assert.deepEqual(input, [3, 1, 2]);
});
