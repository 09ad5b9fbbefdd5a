import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { readRunAsBaseline, type Baseline } from '../reports/gate/baseline.ts';
import { compareRuns, smallestP, type CompareOptions, type ScenarioResult } from '../reports/gate/compare.ts';
import { bootstrapOverheadDelta } from '../reports/gate/overhead-delta.ts';
import { holmBonferroni, mulberry32 } from '../reports/stats/index.ts';
import { noisySamples, seedLikeScenarios, writeRun, type FixtureRun, type SeedLikeOptions } from './fixtures/gate/make-run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gate-compare-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;
function baselineOf(run: FixtureRun): Baseline {
  return readRunAsBaseline(writeRun(join(tmp, `run${runs++}`), run)).baseline;
}
const seedLike = (o: SeedLikeOptions) => baselineOf({ scenarios: seedLikeScenarios(o) });

const OPTS: CompareOptions = { metric: 'overhead', thresholdPct: 1, alpha: 0.01, resamples: 4000, seed: 42 };
const verdicts = (rs: ScenarioResult[]) => Object.fromEntries(rs.map((r) => [r.name, r.verdict]));
const byName = (rs: ScenarioResult[], name: string) => rs.find((r) => r.name === name)!;

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

test('bootstrapOverheadDelta: point estimates are the overheads and their difference', () => {
  const d = bootstrapOverheadDelta({ oldScenario: [110, 111, 109], oldBase: [100, 101, 99], newScenario: [121, 120, 122], newBase: [100, 99, 101] }, { resamples: 500 });
  assert.equal(d.oldPct.toFixed(9), (10).toFixed(9));
  assert.equal(d.newPct.toFixed(9), (21).toFixed(9));
  assert.equal(d.deltaPp.toFixed(9), (11).toFixed(9));
  assert.ok(d.deltaPpCI[0] <= d.deltaPp && d.deltaPp <= d.deltaPpCI[1], `CI ${d.deltaPpCI} misses ${d.deltaPp}`);
});

test('bootstrapOverheadDelta: constant groups give a zero-width CI at the point estimate', () => {
  const d = bootstrapOverheadDelta({ oldScenario: [120, 120], oldBase: [100, 100], newScenario: [130, 130, 130], newBase: [100, 100, 100] }, { resamples: 200 });
  assert.deepEqual(d.deltaPpCI.map((x) => x.toFixed(9)), ['10.000000000', '10.000000000']);
});

test('bootstrapOverheadDelta: same seed, same CI; another seed, another CI', () => {
  const g = { oldScenario: noisySamples(250, 30, 0.01, 1), oldBase: noisySamples(200, 30, 0.01, 2), newScenario: noisySamples(255, 30, 0.01, 3), newBase: noisySamples(200, 30, 0.01, 4) };
  const a = bootstrapOverheadDelta(g, { resamples: 1000, seed: 7 });
  const b = bootstrapOverheadDelta(g, { resamples: 1000, seed: 7 });
  const c = bootstrapOverheadDelta(g, { resamples: 1000, seed: 8 });
  assert.deepEqual(a.deltaPpCI, b.deltaPpCI);
  assert.notDeepEqual(a.deltaPpCI, c.deltaPpCI);
});

test('bootstrapOverheadDelta agrees with literal resampling of all four groups (odd and even n)', () => {
  const g = { oldScenario: noisySamples(250, 31, 0.01, 11), oldBase: noisySamples(200, 30, 0.01, 12), newScenario: noisySamples(255, 25, 0.01, 13), newBase: noisySamples(200, 40, 0.01, 14) };
  const resamples = 20_000;
  const fast = bootstrapOverheadDelta(g, { resamples, seed: 3 });
  const rng = mulberry32(99);
  const draw = (xs: number[]) => median(Array.from(xs, () => xs[Math.floor(rng() * xs.length)]!));
  const literal = Array.from({ length: resamples }, () => (draw(g.newScenario) / draw(g.newBase) - draw(g.oldScenario) / draw(g.oldBase)) * 100).sort((a, b) => a - b);
  const lo = quantileSorted(literal, 0.025);
  const hi = quantileSorted(literal, 0.975);
  const width = hi - lo;
  assert.ok(Math.abs(fast.deltaPpCI[0] - lo) < 0.05 * width, `lo ${fast.deltaPpCI[0]} vs literal ${lo} (width ${width})`);
  assert.ok(Math.abs(fast.deltaPpCI[1] - hi) < 0.05 * width, `hi ${fast.deltaPpCI[1]} vs literal ${hi} (width ${width})`);
});

test('bootstrapOverheadDelta rejects empty and non-positive groups', () => {
  assert.throws(() => bootstrapOverheadDelta({ oldScenario: [], oldBase: [1], newScenario: [1], newBase: [1] }), /oldScenario: no samples/);
  assert.throws(() => bootstrapOverheadDelta({ oldScenario: [1], oldBase: [1], newScenario: [1], newBase: [0] }), /newBase: sample 0 is 0/);
  assert.throws(() => bootstrapOverheadDelta({ oldScenario: [1], oldBase: [1], newScenario: [1], newBase: [1] }, { resamples: 0 }), /resamples/);
});

test('identical data: every scenario "no change", shown within the threshold, under both metrics', () => {
  const old = seedLike({ seed: 1 });
  const cur = seedLike({ seed: 1 });
  for (const metric of ['overhead', 'absolute'] as const) {
    const { scenarios } = compareRuns(old, cur, { ...OPTS, metric });
    const gated = scenarios.filter((s) => s.role === 'gated');
    assert.equal(gated.length, metric === 'overhead' ? 4 : 5);
    for (const s of gated) {
      assert.equal(s.verdict, 'no change', `${metric} ${s.name}`);
      assert.ok(s.p_holm!.regressed > 0.99 && s.p_holm!.equivalent < 0.01, `${metric} ${s.name}: ${JSON.stringify(s.p_holm)}`);
      assert.equal(s.delta, 0, `${metric} ${s.name}`);
    }
  }
});

test('+5 % on one scenario (independent noise): regressed under both metrics, the others no change', () => {
  const old = seedLike({ seed: 1 });
  const cur = seedLike({ seed: 2, shift: { 'audit-execve': 1.05 } });
  const abs = compareRuns(old, cur, { ...OPTS, metric: 'absolute' }).scenarios;
  assert.deepEqual(verdicts(abs), { vanilla: 'no change', 'audit-compiled': 'no change', 'audit-no-rules': 'no change', 'audit-execve': 'regressed', 'krsi-ld-preload': 'no change' });
  const a = byName(abs, 'audit-execve');
  assert.ok(a.delta! > 4.8 && a.delta! < 5.2, `absolute delta ${a.delta}`);
  assert.ok(a.ci![0] > 1, `CI ${a.ci}`);

  const ovh = compareRuns(old, cur, OPTS).scenarios;
  assert.deepEqual(verdicts(ovh), { vanilla: 'not gated', 'audit-compiled': 'no change', 'audit-no-rules': 'no change', 'audit-execve': 'regressed', 'krsi-ld-preload': 'no change' });
  const o = byName(ovh, 'audit-execve');
  // overhead 262.1/208 - 1 = 26.0 % becomes 1.05 * 262.1/208 - 1 = 32.3 %: +6.3 pp
  assert.ok(o.delta! > 6 && o.delta! < 6.6, `overhead delta ${o.delta}`);
  assert.ok(o.old!.overhead_pct! > 25.5 && o.old!.overhead_pct! < 26.5, `old overhead ${o.old!.overhead_pct}`);
  assert.ok(o.p_holm!.regressed < 0.01);
  assert.ok(o.detectable! > 1 && o.detectable! < o.delta!, `detectable ${o.detectable} between the threshold and the change found`);
});

test('+0.1 % within icount noise: beyond 0 but shown inside the 1 % threshold, so "no change"; a 0.05 threshold flags it', () => {
  const old = seedLike({ seed: 1, sd: 0.0005 });
  const cur = seedLike({ seed: 2, sd: 0.0005, shift: { 'audit-execve': 1.001 } });
  for (const metric of ['overhead', 'absolute'] as const) {
    const s = byName(compareRuns(old, cur, { ...OPTS, metric }).scenarios, 'audit-execve');
    assert.ok(s.ci![0] > 0, `${metric}: CI ${s.ci} should lie above 0: only the threshold keeps this from failing`);
    assert.ok(s.p_holm!.equivalent < 0.01, `${metric}: within the threshold, p ${s.p_holm!.equivalent}`);
    assert.equal(s.verdict, 'no change', metric);
    const strict = byName(compareRuns(old, cur, { ...OPTS, metric, thresholdPct: 0.05 }).scenarios, 'audit-execve');
    assert.equal(strict.verdict, 'regressed', `${metric} with threshold 0.05: CI ${strict.ci}`);
  }
});

test('-5 % on one scenario: improved under both metrics', () => {
  const old = seedLike({ seed: 1 });
  const cur = seedLike({ seed: 2, shift: { 'krsi-ld-preload': 0.95 } });
  for (const metric of ['overhead', 'absolute'] as const) {
    const v = verdicts(compareRuns(old, cur, { ...OPTS, metric }).scenarios);
    assert.equal(v['krsi-ld-preload'], 'improved', metric);
    assert.equal(Object.values(v).filter((x) => x === 'improved' || x === 'regressed').length, 1, `${metric}: ${JSON.stringify(v)}`);
  }
});

test('a slower baseline scenario: absolute flags it; overhead sees every other scenario improve', () => {
  const old = seedLike({ seed: 1 });
  const cur = seedLike({ seed: 2, shift: { vanilla: 1.05 } });
  assert.deepEqual(
    Object.entries(verdicts(compareRuns(old, cur, { ...OPTS, metric: 'absolute' }).scenarios)).filter(([, v]) => v !== 'no change'),
    [['vanilla', 'regressed']],
  );
  const ovh = verdicts(compareRuns(old, cur, OPTS).scenarios);
  assert.equal(ovh.vanilla, 'not gated');
  for (const name of ['audit-compiled', 'audit-no-rules', 'audit-execve', 'krsi-ld-preload']) assert.equal(ovh[name], 'improved', name);
});

test('p-values are Holm-adjusted over the gated scenarios only, within each family', () => {
  const old = seedLike({ seed: 1 });
  const cur = seedLike({ seed: 2, shift: { 'audit-execve': 1.002 } });
  const gated = compareRuns(old, cur, OPTS).scenarios.filter((s) => s.role === 'gated');
  assert.equal(gated.length, 4);
  for (const k of ['regressed', 'improved', 'equivalent'] as const) {
    assert.deepEqual(gated.map((s) => s.p_holm![k]), holmBonferroni(gated.map((s) => s.p![k])), k);
  }
  assert.ok(gated.some((s) => s.p_holm!.equivalent > s.p!.equivalent), 'some p-value should be raised by the adjustment');
});

test('a scenario only in the current run is new and not gated; the baseline scenario is not gated under overhead', () => {
  const old = seedLike({ seed: 1, only: ['vanilla', 'audit-execve'] });
  const cur = seedLike({ seed: 2, only: ['vanilla', 'audit-execve', 'krsi-ld-preload'] });
  const rs = compareRuns(old, cur, OPTS).scenarios;
  assert.deepEqual(rs.map((r) => [r.name, r.role, r.verdict]), [
    ['vanilla', 'baseline scenario', 'not gated'],
    ['audit-execve', 'gated', 'no change'],
    ['krsi-ld-preload', 'new', 'not gated'],
  ]);
  const added = byName(rs, 'krsi-ld-preload');
  assert.equal(added.old, null);
  assert.ok(added.new.overhead_pct! > 5 && added.new.overhead_pct! < 7, `new overhead ${added.new.overhead_pct}`);
});

test('overhead without the baseline scenario in the data is refused; absolute works', () => {
  const old = seedLike({ seed: 1, only: ['audit-execve'] });
  const cur = seedLike({ seed: 1, only: ['audit-execve'] });
  assert.throws(() => compareRuns(old, cur, OPTS), /no samples of the baseline scenario vanilla.*--metric absolute/);
  assert.equal(compareRuns(old, cur, { ...OPTS, metric: 'absolute' }).scenarios[0]!.verdict, 'no change');
});

test('too few samples to ever reach alpha: a note says so', () => {
  assert.equal(smallestP(3, 3).toFixed(3), '0.100');
  assert.ok(smallestP(30, 30) < 1e-10);
  const small = compareRuns(seedLike({ seed: 1, n: 3 }), seedLike({ seed: 2, n: 3 }), OPTS);
  // Both runs have the fixed layout (made before layouts were drawn): a note for each says what that covers.
  const layoutNotes = (notes: string[]) => notes.filter((n) => /has a fixed layout/.test(n));
  assert.equal(layoutNotes(small.notes).length, 2);
  const floors = small.notes.filter((n) => !/has a fixed layout/.test(n));
  assert.equal(floors.length, 4);
  assert.match(floors[0]!, /audit-compiled: with 3 and 3 samples the smallest possible one-sided p is 0\.050, not below alpha 0\.01/);
  const large = compareRuns(seedLike({ seed: 1 }), seedLike({ seed: 2 }), OPTS).notes;
  assert.deepEqual(large.filter((n) => !/has a fixed layout/.test(n)), []);
});
