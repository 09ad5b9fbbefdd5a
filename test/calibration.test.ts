import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunMeta, SampleRow } from '../lib/results.ts';
import { calibrate, layoutModes, type CalibrationOptions } from '../reports/calibration.ts';
import type { LoadedRun } from '../reports/load.ts';
import { mulberry32 } from '../reports/stats/index.ts';

/** Standard normal draws from a seeded uniform (Box-Muller). */
function normal(rng: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

interface Shape {
  /** Boot level of seed s, before the scenario's factor. */
  level: (seed: number) => number;
}

/**
 * A run of `boots` seeds from 1000: vanilla and krsi on one kernel (krsi's
 * boots follow vanilla's layout of the same seed, times 1.04 and its own
 * noise), audit on another (its own layouts), 4 samples per boot.
 */
function syntheticRun(boots: number, shape: Shape, seed: number): LoadedRun {
  const z = normal(mulberry32(seed));
  const samples: SampleRow[] = [];
  const guests: { scenario: string; boot: number; seed: number }[] = [];
  const scenarios = [
    { name: 'vanilla', kernel: 'noaudit', level: (s: number) => shape.level(s) },
    { name: 'krsi', kernel: 'noaudit', level: (s: number) => shape.level(s) * 1.04 * (1 + 0.002 * z()) },
    { name: 'audit', kernel: 'audit', level: (s: number) => shape.level(s + 7919) * 1.01 },
  ];
  for (const sc of scenarios) {
    for (let b = 0; b < boots; b++) {
      const level = sc.level(1000 + b);
      guests.push({ scenario: sc.name, boot: b, seed: 1000 + b });
      for (let i = 0; i < 4; i++) samples.push({ scenario: sc.name, kernel: sc.kernel, boot: b, sample: i, warmup: false, execs: 100, nsPerExec: level * (1 + 0.0005 * z()) });
    }
  }
  return { dir: 'synthetic', meta: { runId: 'synthetic', guests } as unknown as RunMeta, samples, events: [], attribution: null };
}

const OPTS: CalibrationOptions = { bootsPerSet: 12, partitions: 300, confidence: 0.95, alpha: 0.05, seed: 1, baseline: 'vanilla' };

test('layouts with normal spread: the t intervals cover about 95 % and A/A calls about 5 % different', () => {
  const z = normal(mulberry32(5));
  const levels = new Map<number, number>();
  const level = (s: number) => levels.get(s) ?? levels.set(s, 380 * Math.exp(0.01 * z())).get(s)!;
  const c = calibrate(syntheticRun(96, { level }, 2), OPTS);
  assert.deepEqual(c.scenarios.map((s) => s.name), ['vanilla', 'krsi', 'audit']);
  for (const s of c.scenarios) {
    assert.equal(s.boots, 96);
    assert.equal(s.centre.intervals, 300 * 8);
    // Sets of 12 of 96 against the mean of all 96 (which holds the set): about 95-97 %.
    assert.ok(s.centre.rate > 0.93 && s.centre.rate < 0.995, `${s.name} centre ${s.centre.rate}`);
    assert.ok(s.aa.rate < 0.09, `${s.name} A/A ${s.aa.rate}`);
    assert.equal(s.modes, null, `${s.name}: one mode`);
    assert.ok(Math.abs(s.betweenSdPct - 1) < 0.25, `${s.name} between ${s.betweenSdPct}`);
  }
  assert.equal(c.scenarios[0]!.overhead, null);
  assert.equal(c.scenarios[1]!.overhead!.method, 'paired-t');
  // Paired by seed on another kernel too: valid though audit's layouts share nothing with vanilla's here.
  assert.equal(c.scenarios[2]!.overhead!.method, 'paired-t');
  assert.ok(c.scenarios[2]!.overhead!.rate > 0.93 && c.scenarios[2]!.overhead!.rate < 0.995, `audit overhead ${c.scenarios[2]!.overhead!.rate}`);
  assert.ok(Math.abs(c.scenarios[1]!.overhead!.estimate - 4) < 0.1, `krsi ${c.scenarios[1]!.overhead!.estimate}`);
  // Pairing by seed takes out what a seed's boots share: krsi's interval is far narrower than audit's.
  assert.ok(c.scenarios[1]!.overhead!.halfWidthPct < c.scenarios[2]!.overhead!.halfWidthPct / 5);
});

test('a rare upper mode (3 in 48 boots, +3.5 %) is found, and the centre intervals of 12 boots do not cover 95 %', () => {
  const z = normal(mulberry32(6));
  const high = new Set([1010, 1013, 1047]);
  const level = (s: number) => 380 * (high.has(s) ? 1.035 : 1) * (1 + 0.001 * z());
  const c = calibrate(syntheticRun(48, { level }, 3), OPTS);
  const vanilla = c.scenarios[0]!;
  assert.deepEqual(vanilla.modes && { share: vanilla.modes.upperShare, seeds: vanilla.modes.upperSeeds }, { share: 3 / 48, seeds: [1010, 1013, 1047] });
  assert.ok(Math.abs(vanilla.modes!.gapPct - 3.5) < 0.2);
  // A set misses all three high boots with probability C(45,12)/C(48,12) = 0.41, and then sits too low.
  assert.ok(vanilla.centre.rate < 0.85, `centre ${vanilla.centre.rate}`);
});

test('layoutModes: no second mode in a plain spread or below 4 pooled sds', () => {
  assert.equal(layoutModes([1, 2, 3], [1, 2, 3]), null, 'too few boots');
  assert.equal(layoutModes([1, 2, 3, 4, 5, 6], [100, 100.2, 100.4, 100.6, 100.8, 101]), null);
  assert.equal(layoutModes([1, 2, 3, 4, 5, 6], [100, 101, 102, 103.1, 104, 105]), null, 'gaps of 1 % in a 5 % spread are one mode');
  const m = layoutModes([1, 2, 3, 4, 5, 6], [100, 100.1, 100.05, 104, 104.1, 100.02]);
  assert.deepEqual(m && { share: m.upperShare, seeds: m.upperSeeds }, { share: 2 / 6, seeds: [4, 5] });
});

test('calibrate refuses a run with too few boots or no baseline scenario, in one line', () => {
  const run = syntheticRun(20, { level: () => 380 }, 4);
  assert.throws(() => calibrate(run, OPTS), /^BenchError: calibrate: scenario vanilla has 20 boots, fewer than two sets of 12$/);
  assert.throws(() => calibrate(run, { ...OPTS, baseline: 'nope' }), /no scenario nope/);
});
