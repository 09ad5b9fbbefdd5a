import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Baseline } from '../reports/gate/baseline.ts';
import { calibrateGate } from '../reports/gate/calibrate-gate.ts';
import { mulberry32, normalQuantile } from '../reports/stats/index.ts';

/** A run of 48 seeds: vanilla and krsi on one kernel, audit on another, each boot's level a normal layout draw (sd 0.8 %). */
function run(): Baseline {
  const rng = mulberry32(11);
  const z = () => normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, rng())));
  const seeds = Array.from({ length: 48 }, (_, i) => 1000 + i);
  const scenario = (kernel: string, level: number) => {
    const boots = seeds.map((seed) => {
      const layout = level * Math.exp(0.008 * z());
      return { seed, samples_ns: [0, 1, 2, 3].map(() => layout * Math.exp(0.004 * z())) };
    });
    return { kernel, boots, samples_ns: boots.flatMap((b) => b.samples_ns) };
  };
  return {
    format: 'krsi-bench-baseline/2', created: '', from_run: 'r', suite_revision: 's', mode: 'icount', unit: 'ns', baseline_scenario: 'vanilla', matrix: 'm',
    depends_on: { mode: 'icount', kernel_source: 'k', kernels: { noaudit: 'a', audit: 'b' }, qemu: 'q', workload_digest: 'w', bpf_digest: null, workloads: {}, layout: 'random' },
    scenarios: { vanilla: scenario('noaudit', 380_000), 'audit-compiled': scenario('audit', 381_000), 'krsi-ld-preload': scenario('noaudit', 396_000) },
  };
}

test('calibrateGate on normal layouts: A/A fails at most about alpha at threshold 0, almost never at 1 pp, and the stated detectable change is found about 80 % of the time', () => {
  const g = calibrateGate(run(), { bootsPerSet: 12, draws: 300, alpha: 0.05, thresholdPct: 1, seed: 3 });
  assert.deepEqual(g.gated, ['audit-compiled', 'krsi-ld-preload']);
  // Two scenarios at alpha with Holm: the gate fails at most alpha; the binomial sd of 5 % over 300 draws is 1.3 pp.
  assert.ok(g.atZero.failed <= 0.05 + 0.03, `A/A at threshold 0 failed ${g.atZero.failed}`);
  assert.ok(g.atZero.failed > 0, 'a test against 0 that never fails an A/A cannot be at its level');
  assert.ok(g.atThreshold.failed < 0.01, `A/A at 1 pp failed ${g.atThreshold.failed}`);
  for (const p of g.power) {
    assert.ok(p.regressed > 0.68 && p.regressed < 0.92, `${p.scenario}: ${p.detectablePp} pp found ${p.regressed}`);
  }
});
