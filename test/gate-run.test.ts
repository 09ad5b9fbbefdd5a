// The gate library end to end (no child process): default baseline files, --update, outputs and warnings.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchError } from '../lib/errors.ts';
import { defaultBaselinePath, evaluateGate, runGate, updateBaseline } from '../reports/gate/gate.ts';
import { formatP } from '../reports/gate/format.ts';
import { GATE_DEFAULTS, type GateOptions } from '../reports/gate/options.ts';
import { seedLikeScenarios, writeRun, type FixtureRun } from './fixtures/gate/make-run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gate-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newDir = (name: string) => join(tmp, `${name}-${dirs++}`);
const seedRun = (seed: number, extra: Partial<FixtureRun> = {}) => writeRun(newDir('run'), { scenarios: seedLikeScenarios({ seed }), ...extra });

const options = (o: Partial<GateOptions> & { current: string }): GateOptions => ({
  command: 'gate', baseline: null, metric: GATE_DEFAULTS.metric, thresholdPct: GATE_DEFAULTS.thresholdPct, alpha: GATE_DEFAULTS.alpha,
  allowMismatch: false, out: null, resamples: 2000, seed: GATE_DEFAULTS.seed, baselinesDir: newDir('baselines'), profile: null, baselineProfile: null, ...o,
});

test('--update without --baseline writes <baselinesDir>/<matrix>.json, which the gate then uses by default', async () => {
  const cur = seedRun(1);
  const baselinesDir = newDir('baselines');
  const u = await updateBaseline(options({ command: 'update', current: cur, baselinesDir }));
  assert.equal(u.path, join(baselinesDir, 'seed.json'));
  assert.ok(existsSync(u.path));
  assert.deepEqual(readdirSync(baselinesDir), ['seed.json']);
  assert.doesNotMatch(u.text, /replaces/);
  const again = await updateBaseline(options({ command: 'update', current: seedRun(2, { runId: 'second' }), baselinesDir }));
  assert.match(again.text, /^it replaces the baseline from run 2026-01-01T00-00-00Z-test \(suite revision d4419aedbf29\)$/m);
  assert.equal(JSON.parse(readFileSync(u.path, 'utf8')).from_run, 'second');

  const g = await runGate(options({ current: cur, baselinesDir }));
  assert.equal(g.report.inputs.baseline.path, join(baselinesDir, 'seed.json'));
  assert.equal(g.report.inputs.baseline.run_id, 'second');
  assert.equal(g.exitCode, 0);
});

test('no default baseline file, or a matrix name that cannot name one: usage errors', () => {
  assert.throws(() => evaluateGate(options({ current: seedRun(1) })), (e: unknown) => e instanceof BenchError && e.exitCode === 2 && /seed\.json: no baseline for matrix seed; make one with --update/.test(e.message));
  assert.throws(() => defaultBaselinePath('/b', '../etc/x'), /matrix name "\.\.\/etc\/x" cannot name a baseline file/);
  assert.equal(defaultBaselinePath('/b', 'seed'), '/b/seed.json');
});

test('evaluateGate computes everything and writes nothing; runGate writes exactly gate.json and gate.md', async () => {
  const old = seedRun(1);
  const cur = seedRun(2);
  const out = newDir('out');
  const { report, outDir } = evaluateGate(options({ baseline: old, current: cur, out }));
  assert.equal(outDir, out);
  assert.equal(report.counts.gated, 4);
  assert.ok(!existsSync(out));
  const g = await runGate(options({ baseline: old, current: cur, out }));
  assert.deepEqual(readdirSync(out).sort(), ['gate.json', 'gate.md']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')), g.report);
  assert.equal(g.report.inputs.baseline.kind, 'run directory');
});

test('gate.md: headline first, a row per scenario, regressions in bold, settings stated', async () => {
  const out = newDir('out');
  const cur = writeRun(newDir('run'), { scenarios: seedLikeScenarios({ seed: 2, shift: { 'audit-no-rules': 1.1 } }) });
  const g = await runGate(options({ baseline: seedRun(1), current: cur, out }));
  assert.equal(g.exitCode, 1);
  const md = readFileSync(join(out, 'gate.md'), 'utf8').split('\n');
  assert.match(md[0]!, /^\*\*krsi-bench gate FAIL\*\*: 1 of 4 scenarios regressed: audit-no-rules \+\d+\.\d\d pp \[/);
  assert.equal(md.filter((l) => l.startsWith('| `')).length, 5);
  assert.match(md.find((l) => l.startsWith('| `audit-no-rules`'))!, /\| \*\*regressed\*\* \| \+1\.\d\d pp \| 60 samples \|$/);
  assert.ok(md.some((l) => /`vanilla` itself is not gated/.test(l)));
  assert.ok(md.some((l) => /one-sided, at alpha 0\.01, Holm-adjusted .*\*\*regressed\*\* when the change is shown above \+1 pp.*The interval is at 98 %/.test(l)));
  assert.ok(md.some((l) => /"samples": one layout only .* bootstrap CI \(2000 resamples, seed 42\)/.test(l)));
});

test('a failed event check in the current run fails the gate, naming what was logged against what was expected', async () => {
  const cur = seedRun(1, { failedEvents: ['krsi-ld-preload'] });
  const g = await runGate(options({ baseline: seedRun(1), current: cur, out: newDir('out') }));
  assert.equal(g.exitCode, 1);
  assert.equal(g.report.status, 'fail');
  assert.equal(g.report.counts.regressed, 0, 'the times themselves did not change');
  assert.deepEqual(g.report.event_failures.map((f) => [f.scenario, f.boots]), [['krsi-ld-preload', [0]]]);
  const f = g.report.event_failures[0]!;
  assert.ok(f.logged < f.expected, `logged ${f.logged}, expected ${f.expected}`);
  assert.match(g.report.headline, new RegExp(`^FAIL: event check failed: krsi-ld-preload logged ${f.logged} of ${f.expected} `));
  assert.match(readFileSync(join(g.written.find((p) => p.endsWith('gate.md'))!), 'utf8'), /event check failed/);
  // In the baseline it is a warning: the baseline is not what is judged.
  const back = await runGate(options({ baseline: cur, current: seedRun(1), out: newDir('out') }));
  assert.equal(back.exitCode, 0);
  assert.ok(back.report.warnings.some((w) => /^baseline krsi-ld-preload: the event check failed/.test(w)));
});

test('absolute metric gates the baseline scenario too; a run directory given as samples.csv works as the baseline', async () => {
  const old = seedRun(1);
  const g = await runGate(options({ baseline: join(old, 'samples.csv'), current: seedRun(1), metric: 'absolute', out: newDir('out') }));
  assert.equal(g.report.counts.gated, 5);
  assert.equal(g.report.scenarios[0]!.name, 'vanilla');
  assert.equal(g.report.scenarios[0]!.role, 'gated');
  assert.match(g.text, /^vanilla +207\.998 µs +207\.998 µs +\+0\.00 % /m);
});

test('p-values print with three decimals, then in exponent form, then as a floor', () => {
  assert.deepEqual([0.5, 0.0123, 0.00042, 7e-17, 0].map(formatP), ['0.500', '0.012', '4e-4', '<1e-16', '<1e-16']);
});
