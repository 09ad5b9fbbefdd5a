import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Baseline } from '../reports/gate/baseline.ts';
import { absoluteChange, overheadChange, runOverhead, tInterval } from '../reports/gate/boot-compare.ts';
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
  const t = tInterval(e, 0.95);
  assert.ok(t.p < 1e-6 && t.ci[0] > 0.04, 'a 5 % change of the ratio on every seed is found');
});

test('overheadChange without shared kernels compares each run\'s own estimate (Welch across boots)', () => {
  const other = run({ noaudit: 'k2' }, { vanilla: { kernel: 'noaudit', seeds, ns: base }, krsi: { kernel: 'noaudit', seeds, ns: base.map((x) => x * 1.1025) } });
  const e = overheadChange(old, other, 'krsi', 'vanilla');
  assert.equal(e.paired, false);
  // Each run's overhead is still paired within the run (same kernel), so the estimate is exact here too.
  assert.ok(Math.abs(e.est - Math.log(1.05)) < 1e-12);
  assert.ok(Math.abs(runOverhead(other, 'krsi', 'vanilla').est - Math.log(1.1025)) < 1e-12);
});

test('absoluteChange: paired by seed on the same kernel, Welch when the kernel differs', () => {
  const paired = absoluteChange(old, cur, 'krsi');
  assert.equal(paired.paired, true);
  assert.ok(Math.abs(paired.est - Math.log(1.05)) < 1e-12 && paired.se < 1e-12);
  const other = run({ noaudit: 'k2' }, { vanilla: { kernel: 'noaudit', seeds, ns: base }, krsi: { kernel: 'noaudit', seeds, ns: base.map((x) => x * 1.1025) } });
  const welch = absoluteChange(old, other, 'krsi');
  assert.equal(welch.paired, false);
  // Welch on logs: the spread of the layouts (factor 3) swamps the 5 % change.
  const t = tInterval(welch, 0.95);
  assert.ok(t.p > 0.5 && t.ci[0] < 0 && t.ci[1] > 0);
});

test('pairBySeed pairs boots that share a seed, in seed order, and skips unknown or repeated seeds', () => {
  const boot = (seed: number | null, median: number): BootSummary => ({ run: 'r', boot: 0, seed, n: 1, warmups: 2, median_ns: median, spread_pct: 0, steady: true, change_point: { index: null, shift_pct: 0, p_value: 1, method: 'pooled residuals' } });
  const a = [boot(44, 3), boot(42, 1), boot(43, 2), boot(null, 9), boot(45, 5), boot(45, 6)];
  const b = [boot(42, 10), boot(43, 20), boot(46, 60), boot(45, 50), boot(44, 30)];
  assert.deepEqual(pairBySeed(a, b), { seeds: [42, 43, 44], a: [1, 2, 3], b: [10, 20, 30] });
});
