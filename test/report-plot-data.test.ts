import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadedRun } from '../reports/load.ts';
import type { SampleRow } from '../lib/results.ts';
import {
  boxRows, collectSamples, densities, ecdfPoints, forestRows, quantileSorted, runOrderRows, silvermanBandwidth, stripPoints, type ScenarioSamples,
} from '../reports/report/plot-data.ts';
import type { Summary } from '../reports/summary.ts';
import { mulberry32 } from '../lib/prng.ts';

function row(scenario: string, boot: number, sample: number, warmup: boolean, ns: number): SampleRow {
  return { scenario, kernel: 'k', boot, sample, warmup, execs: 100, nsPerExec: ns };
}

function scenario(name: string, values: number[]): ScenarioSamples {
  return { name, sorted: Float64Array.from(values).sort(), boots: [{ label: 'boot 0', ns: Float64Array.from(values), warmup: new Uint8Array(values.length) }] };
}

function normals(n: number, mean: number, sd: number, seed = 1): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

test('collectSamples puts warm-up first within each boot, whatever the file order, and labels merged runs', () => {
  const a: LoadedRun = { dir: 'a', meta: null, events: [], attribution: null, samples: [row('x', 0, 1, false, 30), row('x', 0, 0, true, 99), row('x', 0, 0, false, 10), row('y', 1, 0, false, 5)] };
  const b: LoadedRun = { dir: 'b', meta: null, events: [], attribution: null, samples: [row('x', 0, 0, false, 20)] };
  const [x, y] = collectSamples([a, b], ['x', 'y'], ['run-a', 'run-b']);
  assert.deepEqual(x!.boots.map((s) => s.label), ['run-a / boot 0', 'run-b / boot 0']);
  assert.deepEqual([...x!.boots[0]!.ns], [99, 10, 30]);
  assert.deepEqual([...x!.boots[0]!.warmup], [1, 0, 0]);
  assert.deepEqual([...x!.sorted], [10, 20, 30]);
  assert.deepEqual([...y!.sorted], [5]);
  assert.equal(collectSamples([a], ['x'], ['a'])[0]!.boots[0]!.label, 'boot 0');
});

test('quantileSorted is the type-7 quantile', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([7], 0.5), 7);
});

test('densities integrate to about 1 and give each scenario its own grid on one axis', () => {
  const s = [scenario('a', normals(5000, 208_000, 200)), scenario('b', normals(40, 288_000, 300, 2))];
  const { points, bandwidthUs } = densities(s, 200);
  for (const name of ['a', 'b']) {
    const curve = points.filter((p) => p.scenario === name);
    assert.equal(curve.length, 200);
    let area = 0;
    for (let i = 1; i < curve.length; i++) area += ((curve[i]!.density + curve[i - 1]!.density) / 2) * (curve[i]!.us - curve[i - 1]!.us);
    assert.ok(Math.abs(area - 1) < 0.02, `${name}: area ${area}`);
    assert.ok(bandwidthUs.get(name)! > 0);
  }
  // Silverman's rule for n = 5000, sd = 0.2 µs: 0.9 * 0.2 * 5000^-0.2 = 0.033 µs
  assert.ok(Math.abs(bandwidthUs.get('a')! - 0.9 * 0.2 * 5000 ** -0.2) < 0.003, String(bandwidthUs.get('a')));
});

test('a scenario without spread still gets a narrow, finite peak', () => {
  const s = [scenario('flat', [208_000, 208_000, 208_000]), scenario('ok', normals(30, 220_000, 220))];
  const { points, bandwidthUs } = densities(s);
  assert.equal(silvermanBandwidth(s[0]!.sorted), 0);
  assert.ok(bandwidthUs.get('flat')! > 0 && bandwidthUs.get('flat')! < 1, String(bandwidthUs.get('flat')));
  const flat = points.filter((p) => p.scenario === 'flat');
  assert.ok(flat.every((p) => Number.isFinite(p.density)));
  assert.ok(Math.max(...flat.map((p) => p.density)) > 0);
  // all scenarios flat: 0.01 % of the median
  assert.ok(Math.abs(densities([scenario('z', [100_000])]).bandwidthUs.get('z')! - 0.01) < 1e-9);
});

test('strip and ECDF rows are capped, and the ECDF climbs from 0 to 1', () => {
  const big = scenario('big', normals(10_000, 1e5, 100));
  const small = scenario('small', [3000, 1000, 2000]);
  assert.equal(stripPoints([big, small], 150).length, 153);
  const ecdf = ecdfPoints([big, small], 300);
  const b = ecdf.filter((p) => p.scenario === 'big');
  assert.equal(b.length, 301);
  assert.deepEqual(ecdf.filter((p) => p.scenario === 'small').map((p) => [p.us, p.fraction]), [[1, 0], [1, 1 / 3], [2, 2 / 3], [3, 1]]);
  for (let i = 1; i < b.length; i++) assert.ok(b[i]!.us >= b[i - 1]!.us && b[i]!.fraction > b[i - 1]!.fraction);
  assert.equal(b.at(-1)!.fraction, 1);
});

function summaryOf(entries: { name: string; values: number[]; overhead?: [number, number, number] }[]): Summary {
  return {
    mode: 'icount', unit: 'ns', baseline: entries[0]!.name, runs: ['r'], alpha: 0.05, equivalence_margin_pct: 1, bootstrap: { resamples: 10, seed: 1 }, notes: [],
    scenarios: entries.map((e) => {
      const s = Float64Array.from(e.values).sort();
      const q = (p: number) => quantileSorted(s, p);
      return {
        name: e.name, kernel: 'k', n: s.length, warmup_n: 0, boots: 1, mean_ns: 0, sd_ns: 0, median_ns: q(0.5), median_ci95_ns: [null, null],
        p5_ns: q(0.05), p25_ns: q(0.25), p75_ns: q(0.75), p95_ns: q(0.95), p99_ns: q(0.99), mad_ns: 0, outliers: { mild: 0, severe: 0, low: 0, high: 0 },
        layout: 'fixed', samples_per_boot: s.length,
        per_boot: [{ run: 'r', boot: 0, seed: 42, n: s.length, warmups: 2, median_ns: q(0.5), spread_pct: 0, steady: true, change_point: { index: null, shift_pct: 0, p_value: 1, method: 'pooled residuals' } }],
        centre: { ns: q(0.5), ci95_ns: [null, null], method: 'within-layout' }, between_boot: { sd_pct: null, range_pct: 0 }, within_boot: { spread_pct: 0 }, unsteady_boots: 0, untested_boots: 0,
        overhead_pct: e.overhead?.[0] ?? null,
        overhead: e.overhead ? { against: entries[0]!.name, pct: e.overhead[0], ci95_pct: [e.overhead[1], e.overhead[2]], p_value: 0.01, p_adjusted: 0.02, test: 'normal', method: 'within-layout', units: 2 * s.length, equivalence: { margin_pct: 1, level: 0.98, ci_pct: [e.overhead[1] - 0.5, e.overhead[2] + 0.5] }, verdict: 'slower' } : null,
        events: { source: 'none', expected: 0, logged: 0, matched: 0, lost: 0, truncated: 0, unaccounted: null, delay: null, ok: true },
      };
    }),
  };
}

test('box rows: quartiles from the summary, Tukey whiskers, and the samples beyond them', () => {
  const values = [...Array.from({ length: 20 }, (_, i) => (i + 1) * 1000), 100_000];
  const summary = summaryOf([{ name: 'x', values }]);
  const rows = boxRows(summary, [scenario('x', values)]);
  const box = rows.find((r) => r.kind === 'box');
  assert.deepEqual(box, { kind: 'box', scenario: 'x', lo: 1, q1: 6, median: 11, q3: 16, hi: 20 });
  assert.deepEqual(rows.filter((r) => r.kind === 'outlier'), [{ kind: 'outlier', scenario: 'x', us: 100 }]);
  // many outliers are thinned, the extremes kept
  const wide = [...Array.from({ length: 1000 }, (_, i) => 1000 + i / 1000), ...Array.from({ length: 200 }, (_, i) => 5000 + i)];
  const thinned = boxRows(summaryOf([{ name: 'w', values: wide }]), [scenario('w', wide)], 60).filter((r) => r.kind === 'outlier');
  assert.equal(thinned.length, 60);
  assert.deepEqual([thinned[0], thinned.at(-1)].map((r) => r?.kind === 'outlier' && r.us), [5, 5.199]);
});

test('run-order rows: warm-up samples always as points, long boots binned with min <= median <= max', () => {
  const n = 1000;
  const ns = Float64Array.from({ length: n + 3 }, (_, i) => (i < 3 ? 250_000 : 200_000 + i));
  const warmup = Uint8Array.from({ length: n + 3 }, (_, i) => (i < 3 ? 1 : 0));
  const s: ScenarioSamples = { name: 'x', sorted: ns.slice(3).sort(), boots: [{ label: 'boot 0', ns, warmup }] };
  const rows = runOrderRows([s], 300, 150);
  const warm = rows.filter((r) => r.phase === 'warm-up');
  assert.deepEqual(warm.map((r) => [r.index, r.us, r.binned]), [[0, 250, false], [1, 250, false], [2, 250, false]]);
  const bins = rows.filter((r) => r.binned);
  assert.ok(bins.length <= 150 && bins.length >= 140, String(bins.length));
  assert.ok(bins.every((b) => b.min <= b.us && b.us <= b.max));
  assert.equal(bins[0]!.min, 200_003 / 1000);
  assert.equal(bins.at(-1)!.max, (200_000 + n + 2) / 1000);
  const short = runOrderRows([scenario('y', [1000, 2000])]);
  assert.deepEqual(short.map((r) => [r.index, r.us, r.phase, r.binned]), [[0, 1, 'measured', false], [1, 2, 'measured', false]]);
});

test('forest rows leave the baseline out', () => {
  const summary = summaryOf([{ name: 'base', values: [1, 2, 3] }, { name: 'other', values: [2, 3, 4], overhead: [5.4321, 5, 6] }]);
  assert.deepEqual(forestRows(summary), [{ scenario: 'other', pct: 5.4321, method: 'within-layout', lo: 5, hi: 6, verdict: 'slower', label: '+5.43 %' }]);
});
