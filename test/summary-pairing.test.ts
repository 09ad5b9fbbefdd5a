/**
 * bootRatio (reports/summary.ts): overheads pair by seed wherever two
 * scenarios share seeds, whatever their kernels, and fall back to Welch's
 * test where they share fewer than two.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BootSummary } from '../reports/boots.ts';
import { bootRatio } from '../reports/summary.ts';
import { pairedLogRatio, welchLogRatio } from '../reports/stats/index.ts';

const boot = (seed: number, median: number): BootSummary =>
  ({ run: 'r', boot: seed - 42, seed, n: 4, warmups: 2, median_ns: median, spread_pct: 0.1, steady: true }) as BootSummary;

// A shared factor per seed (execbench's link), as boots of one seed on two kernels have it.
const shared = [1.0, 1.03, 0.98, 1.02, 0.97, 1.01];
const vanilla = shared.map((f, i) => boot(42 + i, 380 * f));
const audit = shared.map((f, i) => boot(42 + i, 380 * 1.02 * f * (1 + (i % 2 ? 0.002 : -0.002))));

test('seeds in common: paired, though the kernels differ', () => {
  const { test: t, pairedSeeds } = bootRatio({ boots: vanilla }, { boots: audit });
  assert.deepEqual(pairedSeeds, [42, 43, 44, 45, 46, 47]);
  const r = t(0.95);
  const expected = pairedLogRatio(vanilla.map((b) => b.median_ns), audit.map((b) => b.median_ns));
  assert.equal(r.method, 'paired-t');
  assert.deepEqual(r.ratioCI, expected.ratioCI);
  // The shared factor cancels: the paired interval is far narrower than Welch's over the same boots.
  const w = welchLogRatio(vanilla.map((b) => b.median_ns), audit.map((b) => b.median_ns));
  assert.ok(r.ratioCI![1] - r.ratioCI![0] < (w.ratioCI![1] - w.ratioCI![0]) / 5, `${r.ratioCI} against Welch ${w.ratioCI}`);
});

test('fewer than two seeds in common: Welch over all boots', () => {
  const other = audit.map((b, i) => ({ ...b, seed: 100 + i }));
  const { test: t, pairedSeeds } = bootRatio({ boots: vanilla }, { boots: [other[0]!, ...other.slice(1)] });
  assert.equal(pairedSeeds, null);
  assert.equal(t(0.95).method, 'welch-t');
  const one = [{ ...audit[0]! }, ...other.slice(1)];
  assert.equal(bootRatio({ boots: vanilla }, { boots: one }).pairedSeeds, null, 'one seed in common is not a pairing');
});
