import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithTalk, loadTalkReference, type TalkReference } from '../reports/report/compare.ts';
import type { Summary } from '../reports/summary.ts';

const REF: TalkReference = {
  source: 'the talk',
  unit: 'microseconds per exec (mean)',
  caveat: 'grains of salt',
  setups: [
    { scenario: 'vanilla', description: 'CONFIG_AUDIT=n', mean_us: 518, overhead_pct: null },
    { scenario: 'audit-no-rules', description: 'no rules', mean_us: 522, overhead_pct: 0.8 },
    { scenario: 'audit-execve', description: 'execve rule', mean_us: 663, overhead_pct: 28.0 },
    { scenario: 'krsi-ld-preload', description: 'KRSI', mean_us: 543, overhead_pct: 4.8 },
  ],
};

type Ours = { name: string; pct?: number; ci?: [number, number]; verdict?: 'slower' | 'faster' | 'equivalent' | 'inconclusive' };

function summary(baseline: string, ours: Ours[], mode = 'icount'): Summary {
  return {
    mode, unit: 'ns', baseline, runs: ['r'], alpha: 0.05, equivalence_margin_pct: 1, bootstrap: { resamples: 10, seed: 1 }, notes: [],
    scenarios: ours.map((o) => ({
      name: o.name,
      n: 3,
      boots: 3,
      median_ns: 208_346,
      centre: { ns: 208_346, ci95_ns: [null, null], method: 'boots' },
      overhead_pct: o.pct ?? null,
      overhead: o.pct === undefined ? null : { pct: o.pct, ci95_pct: o.ci!, p_value: 0.01, p_adjusted: 0.01, test: 'normal', verdict: o.verdict! },
    })),
  } as unknown as Summary;
}

const sentences = (s: Summary) => Object.fromEntries(compareWithTalk(s, REF).rows.map((r) => [r.setup.scenario, r.sentence]));

test('direction and size: same direction larger, inside the interval, slightly smaller', () => {
  const s = sentences(summary('vanilla', [
    { name: 'vanilla' },
    { name: 'audit-execve', pct: 38.24, ci: [38.1, 38.4], verdict: 'slower' },
    { name: 'krsi-ld-preload', pct: 5.2, ci: [4.5, 6.0], verdict: 'slower' },
    { name: 'audit-no-rules', pct: 0.7, ci: [0.65, 0.75], verdict: 'slower' },
  ]));
  assert.equal(s['audit-execve'], 'audit-execve: +38.24 % here (95 % CI +38.10 % to +38.40 %) vs +28.0 % in the talk: same direction, larger here (1.4× the talk\'s figure).');
  assert.match(s['krsi-ld-preload']!, /same direction and the same size: the talk's figure lies inside this run's interval/);
  assert.match(s['audit-no-rules']!, /same direction, slightly smaller here \(0\.9× the talk's figure\)/);
  assert.match(s.vanilla!, /^vanilla: the baseline in both; 208\.35 µs \(geometric mean of the boots' medians, instruction-time\) here vs 518 µs \(mean, wall-clock\) in the talk\. Absolute times do not compare/);
});

test('inconclusive, equivalent, opposite direction, not run', () => {
  const s = sentences(summary('vanilla', [
    { name: 'vanilla' },
    { name: 'audit-no-rules', pct: 0.05, ci: [-0.1, 0.2], verdict: 'inconclusive' },
    { name: 'krsi-ld-preload', pct: -2, ci: [-3, -1], verdict: 'faster' },
  ]));
  assert.match(s['audit-no-rules']!, /no difference shown here, while the talk reported a cost of \+0\.8 %, outside this run's interval\.$/);
  assert.match(s['krsi-ld-preload']!, /opposite direction \(faster here, slower in the talk\)/);
  assert.equal(s['audit-execve'], 'audit-execve: not measured in this run; the talk measured +28.0 %.');
  const consistent = sentences(summary('vanilla', [{ name: 'vanilla' }, { name: 'audit-no-rules', pct: 0.3, ci: [-0.5, 1.0], verdict: 'inconclusive' }]));
  assert.match(consistent['audit-no-rules']!, /lies inside this run's interval: consistent/);
  const equivalent = sentences(summary('vanilla', [{ name: 'vanilla' }, { name: 'audit-no-rules', pct: 0.1, ci: [-0.2, 0.4], verdict: 'equivalent' }]));
  assert.match(equivalent['audit-no-rules']!, /: equivalent to vanilla within ±1 % here, while the talk reported a cost of \+0\.8 %/);
});

test('an interval clear of 0 without a verdict is called too few samples, not no difference', () => {
  const s = sentences(summary('vanilla', [{ name: 'vanilla' }, { name: 'krsi-ld-preload', pct: 5.44, ci: [5.11, 5.98], verdict: 'inconclusive' }]));
  assert.equal(s['krsi-ld-preload'], 'krsi-ld-preload: +5.44 % here (95 % CI +5.11 % to +5.98 %) vs +4.8 % in the talk: this run\'s interval points in the same direction as the talk, but the difference is not significant (3 against 3 boots): too few for a verdict.');
});

test('another baseline: overheads are not compared', () => {
  const c = compareWithTalk(summary('krsi-ld-preload', [{ name: 'krsi-ld-preload' }, { name: 'vanilla', pct: -5, ci: [-6, -4], verdict: 'faster' }, { name: 'audit-execve', pct: 31, ci: [30, 32], verdict: 'slower' }]), REF);
  const s = Object.fromEntries(c.rows.map((r) => [r.setup.scenario, r.sentence]));
  assert.match(s['audit-execve']!, /against krsi-ld-preload, vs \+28\.0 % in the talk against vanilla: different baselines, so not compared/);
  assert.match(s.vanilla!, /the talk's baseline, here -5\.00 % against krsi-ld-preload/);
  assert.match(s['krsi-ld-preload']!, /the baseline of this run/);
});

test('the caveat names the units; scenarios the talk lacks are listed', () => {
  const icount = compareWithTalk(summary('vanilla', [{ name: 'vanilla' }, { name: 'audit-compiled', pct: 0.3, ci: [0.2, 0.4], verdict: 'slower' }]), REF);
  assert.match(icount.caveat, /medians of instruction-time/);
  assert.match(icount.caveat, /grains of salt/);
  assert.deepEqual(icount.notInTalk, ['audit-compiled']);
  assert.match(compareWithTalk(summary('vanilla', [{ name: 'vanilla' }], 'kvm'), REF).caveat, /wall-clock time in a KVM guest/);
});

test('the shipped reference loads and has the talk\'s four setups', () => {
  const ref = loadTalkReference();
  assert.deepEqual(ref.setups.map((s) => [s.scenario, s.overhead_pct]), [['vanilla', null], ['audit-no-rules', 0.8], ['audit-execve', 28], ['krsi-ld-preload', 4.8]]);
});
