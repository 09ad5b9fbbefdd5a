import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapRatioOfMedians, mulberry32 } from '../reports/stats/index.ts';
import { resampledMedian } from '../reports/stats/bootstrap.ts';
import { assertClose, loadFixture } from './fixtures/stats/fixtures.ts';

interface BootstrapFixture {
  percentileBootstrap: {
    base: number[];
    other: number[];
    resamples: number;
    ratio: number;
    ratioCI: [number, number];
    bootstrapSd: number;
  };
  large: { base: number[]; other: number[] };
  exactMedianDistributions: { samples: number[]; distribution: { median: number; prob: number }[] }[];
}
const fx = loadFixture<BootstrapFixture>('bootstrap.json');
const pb = fx.percentileBootstrap;

test('same seed gives bit-identical results, another seed a different interval', () => {
  const a = bootstrapRatioOfMedians(pb.base, pb.other, { seed: 123, resamples: 2000 });
  const b = bootstrapRatioOfMedians(pb.base, pb.other, { seed: 123, resamples: 2000 });
  assert.deepEqual(a, b);
  const c = bootstrapRatioOfMedians(pb.base, pb.other, { seed: 124, resamples: 2000 });
  assert.notDeepEqual(c.ratioCI, a.ratioCI);
  assert.equal(bootstrapRatioOfMedians(pb.base, pb.other).seed, 42);
});

test('point estimate is the ratio of medians and lies inside its CI; overhead CI is the same interval in %', () => {
  const r = bootstrapRatioOfMedians(pb.base, pb.other);
  assert.equal(r.ratio, pb.ratio);
  assert.equal(r.resamples, 10_000);
  assertClose(r.overheadPct, (pb.ratio - 1) * 100, 1e-12, 'overheadPct');
  assert.ok(r.ratioCI[0] <= r.ratio && r.ratio <= r.ratioCI[1], `CI ${r.ratioCI} excludes ${r.ratio}`);
  assert.deepEqual(r.overheadPctCI, [(r.ratioCI[0] - 1) * 100, (r.ratioCI[1] - 1) * 100]);
});

test('percentile CI agrees with a numpy percentile bootstrap within Monte Carlo error (0.2 bootstrap sd)', () => {
  const r = bootstrapRatioOfMedians(pb.base, pb.other, { resamples: pb.resamples });
  const tol = 0.2 * pb.bootstrapSd;
  assert.ok(Math.abs(r.ratioCI[0] - pb.ratioCI[0]) < tol, `lo ${r.ratioCI[0]} vs numpy ${pb.ratioCI[0]}`);
  assert.ok(Math.abs(r.ratioCI[1] - pb.ratioCI[1]) < tol, `hi ${r.ratioCI[1]} vs numpy ${pb.ratioCI[1]}`);
});

test('the CI narrows with more samples and with a lower confidence level', () => {
  const width = (ci: readonly [number, number]) => ci[1] - ci[0];
  const small = bootstrapRatioOfMedians(pb.base, pb.other);
  const large = bootstrapRatioOfMedians(fx.large.base, fx.large.other);
  assert.ok(width(large.ratioCI) < width(small.ratioCI) / 1.5, `${width(large.ratioCI)} vs ${width(small.ratioCI)}`);
  const lower = bootstrapRatioOfMedians(pb.base, pb.other, { confidence: 0.8 });
  assert.equal(lower.confidence, 0.8);
  assert.ok(width(lower.ratioCI) < width(small.ratioCI));
});

test('resampled medians follow the exact bootstrap distribution (enumerated in Python)', () => {
  const draws = 200_000;
  const rng = mulberry32(2024);
  for (const { samples, distribution } of fx.exactMedianDistributions) {
    const sorted = Float64Array.from(samples).sort();
    const counts = new Map<number, number>();
    for (let i = 0; i < draws; i++) {
      const m = resampledMedian(sorted, rng);
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    const support = new Set(distribution.map((d) => d.median));
    for (const m of counts.keys()) assert.ok(support.has(m), `n=${samples.length}: impossible median ${m}`);
    for (const { median, prob } of distribution) {
      const freq = (counts.get(median) ?? 0) / draws;
      const se = Math.sqrt((prob * (1 - prob)) / draws);
      assert.ok(Math.abs(freq - prob) <= 5 * se, `n=${samples.length} median ${median}: ${freq} vs exact ${prob}`);
    }
  }
});

test('10 000 resamples of two groups of 1e5 take a few seconds at most', () => {
  const rng = mulberry32(9);
  const draw = (scale: number) => Array.from({ length: 100_000 }, () => 1000 * scale * (1 + 0.1 * rng()));
  const base = draw(1);
  const other = draw(1.01);
  const start = performance.now();
  const r = bootstrapRatioOfMedians(base, other, { resamples: 10_000 });
  const ms = performance.now() - start;
  assert.ok(r.ratioCI[0] <= r.ratio && r.ratio <= r.ratioCI[1]);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});

test('bootstrapRatioOfMedians rejects bad input', () => {
  assert.throws(() => bootstrapRatioOfMedians([], [1]), /base: no samples/);
  assert.throws(() => bootstrapRatioOfMedians([1, 0], [1]), /base: sample 1 is 0; samples must be > 0/);
  assert.throws(() => bootstrapRatioOfMedians([1], [Infinity]), /other: sample 0 is Infinity/);
  assert.throws(() => bootstrapRatioOfMedians([1], [1], { resamples: 0 }), /resamples/);
  assert.throws(() => bootstrapRatioOfMedians([1], [1], { confidence: 1 }), /confidence/);
  assert.throws(() => bootstrapRatioOfMedians([1], [1], { seed: 1.5 }), /seed/);
});
