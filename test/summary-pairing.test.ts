/**
 * bootRatio (reports/summary.ts): overheads pair by seed wherever two
 * scenarios share seeds, whatever their kernels, and fall back to Welch's
 * test where they share fewer than two.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BootSummary } from '../reports/boots.ts';
import type { LoadedRun } from '../reports/load.ts';
import { bootRatio, kernelLinksNote } from '../reports/summary.ts';
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

test('a note says what the intervals cover where boots share their kernel\'s drawn links, and only there', () => {
  const run = (layout: 'random' | 'fixed', kernelLinks?: number) => ({ meta: { options: { layout, ...(kernelLinks !== undefined && { kernelLinks }) } } }) as unknown as LoadedRun;
  const twelve = new Map([['vanilla', Array.from({ length: 12 }, (_, i) => boot(42 + i, 380))]]);
  const note = kernelLinksNote([run('random', 4)], twelve);
  assert.match(note ?? '', /12 boots ran 4 drawn links of their kernel \(seed mod 4\).*--kernel-links 12 gives/);
  assert.equal(kernelLinksNote([run('random', 12)], twelve), null, 'every boot its own link');
  assert.equal(kernelLinksNote([run('fixed', 4)], twelve), null, 'a fixed layout boots the build\'s own link');
  assert.equal(kernelLinksNote([run('random')], twelve), null, 'a run from before the links were drawn');
  // Merged runs: the fewest links of any of them.
  assert.match(kernelLinksNote([run('random', 12), run('random', 4)], twelve) ?? '', /ran 4 drawn links/);
});
