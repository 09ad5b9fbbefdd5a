import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Baseline } from '../reports/gate/baseline.ts';
import { absoluteChange, overheadChange, runOverhead } from '../reports/gate/boot-compare.ts';
import { tIntervalAt, tThresholdTests } from '../reports/gate/decide.ts';
import { pairBySeed, type BootSummary } from '../reports/boots.ts';

/** A baseline whose boots each hold one sample, so that a boot's median is that sample. */
function run(kernels: Record<string, string>, scenarios: Record<string, { kernel: string; seeds: number[]; ns: number[] }>): Baseline {
  return {
    format: 'krsi-bench-baseline/2', created: '', from_run: '', suite_revision: '', mode: 'icount', unit: 'ns', baseline_scenario: 'vanilla', matrix: 'm',
    depends_on: { mode: 'icount', kernel_source: 's', kernels, qemu: 'q', workload_digest: 'w', bpf_digest: null, workloads: {}, layout: 'random' },
    scenarios: Object.fromEntries(Object.entries(scenarios).map(([n, x]) => [n, {
      kernel: x.kernel, boots: x.seeds.map((seed, i) => ({ seed, samples_ns: [x.ns[i]!] })), samples_ns: x.ns,
    }])),
  };
}

// The layout moves every scenario of a seed together, here by a factor up to 3; the
// scenario's overhead over vanilla on each seed is exactly 5 % (old) and 10.25 % (new).
const seeds = [42, 43, 44];
const base = [100, 200, 300];
const old = run({ noaudit: 'k1' }, { vanilla: { kernel: 'noaudit', seeds, ns: base }, krsi: { kernel: 'noaudit', seeds, ns: base.map((x) => x * 1.05) } });
const cur = run({ noaudit: 'k1' }, { vanilla: { kernel: 'noaudit', seeds, ns: base }, krsi: { kernel: 'noaudit', seeds, ns: base.map((x) => x * 1.1025) } });

test('overheadChange pairs by seed where both runs booted the same kernels: the layout cancels', () => {
  const e = overheadChange(old, cur, 'krsi', 'vanilla');
  assert.equal(e.paired, true);
  assert.equal(e.units, 3);
  assert.ok(Math.abs(e.est - Math.log(1.05)) < 1e-12);
  assert.ok(e.se < 1e-12, `se ${e.se}`);
  const ci = tIntervalAt(e, 0.98);
  assert.ok(tThresholdTests(e, Math.log(1.01), Math.log(0.99)).regressed < 1e-6 && ci[0] > 0.04, 'a 5 % change of the ratio on every seed is found');
});

test('overheadChange pairs by seed even where a kernel changed: an unchanged vanilla adds no variance', () => {
  // krsi on another build: its layouts no longer match the old ones seed for seed, so they do not cancel;
  // vanilla's boots are the same in both runs, so its term is 0 on every seed.
  const krsiNew = [100 * 1.1025 * 1.01, 200 * 1.1025 * 0.99, 300 * 1.1025];
  const other = run({ noaudit: 'k1', krsi: 'k2' }, { vanilla: { kernel: 'noaudit', seeds, ns: base }, krsi: { kernel: 'krsi', seeds, ns: krsiNew } });
  const e = overheadChange(old, other, 'krsi', 'vanilla');
  assert.equal(e.paired, true);
  const d = seeds.map((_, i) => Math.log(krsiNew[i]! / (base[i]! * 1.05)));
  const mean = d.reduce((a, x) => a + x, 0) / d.length;
  const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
  assert.ok(Math.abs(e.est - mean) < 1e-12);
  assert.ok(Math.abs(e.se - sd / Math.sqrt(3)) < 1e-12, `se ${e.se} against ${sd / Math.sqrt(3)}: vanilla's spread (factor 3) must not enter`);
});

test('overheadChange without shared seeds compares each run\'s own estimate, with both standard errors', () => {
  const other = run({ noaudit: 'k2' }, { vanilla: { kernel: 'noaudit', seeds: [60, 61, 62], ns: base }, krsi: { kernel: 'noaudit', seeds: [60, 61, 62], ns: base.map((x) => x * 1.1025) } });
  const e = overheadChange(old, other, 'krsi', 'vanilla');
  assert.equal(e.paired, false);
  // Each run's overhead is still paired within the run (same kernel), so the estimate is exact here too.
  assert.ok(Math.abs(e.est - Math.log(1.05)) < 1e-12);
  assert.ok(Math.abs(runOverhead(other, 'krsi', 'vanilla').est - Math.log(1.1025)) < 1e-12);
});

test('absoluteChange: paired by seed wherever the seeds match, Welch where they do not', () => {
  const paired = absoluteChange(old, cur, 'krsi');
  assert.equal(paired.paired, true);
  assert.ok(Math.abs(paired.est - Math.log(1.05)) < 1e-12 && paired.se < 1e-12);
  const other = run({ noaudit: 'k2' }, { vanilla: { kernel: 'noaudit', seeds: [60, 61, 62], ns: base }, krsi: { kernel: 'noaudit', seeds: [60, 61, 62], ns: base.map((x) => x * 1.1025) } });
  const welch = absoluteChange(old, other, 'krsi');
  assert.equal(welch.paired, false);
  // Welch on logs: the spread of the layouts (factor 3) swamps the 5 % change.
  const t = tThresholdTests(welch, Math.log(1.01), Math.log(0.99));
  const ci = tIntervalAt(welch, 0.98);
  assert.ok(t.regressed > 0.3 && t.equivalent > 0.3 && ci[0] < 0 && ci[1] > 0);
});

test('pairBySeed pairs boots that share a seed, in seed order, and skips unknown or repeated seeds', () => {
  const boot = (seed: number | null, median: number): BootSummary => ({ run: 'r', boot: 0, seed, n: 1, warmups: 2, median_ns: median, spread_pct: 0, steady: true, change_point: { index: null, shift_pct: 0, p_value: 1, method: 'pooled residuals' } });
  const a = [boot(44, 3), boot(42, 1), boot(43, 2), boot(null, 9), boot(45, 5), boot(45, 6)];
  const b = [boot(42, 10), boot(43, 20), boot(46, 60), boot(45, 50), boot(44, 30)];
  assert.deepEqual(pairBySeed(a, b), { seeds: [42, 43, 44], a: [1, 2, 3], b: [10, 20, 30], links: [null, null, null] });
  // Each pair names the two links its boots ran, where both are known.
  const linked = (x: BootSummary, l: string) => ({ ...x, link: l });
  assert.deepEqual(pairBySeed([linked(boot(42, 1), 'd6'), linked(boot(43, 2), 'd7')], [linked(boot(42, 10), 'a6'), boot(43, 20)]).links, ['d6|a6', null]);
});
