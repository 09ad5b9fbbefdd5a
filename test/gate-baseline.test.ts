import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchError } from '../lib/errors.ts';
import { checkBaseline, formatBaseline, readBaselineFile, readBaselineSource, readRunAsBaseline, type Baseline } from '../reports/gate/baseline.ts';
import { checkDependencies, refusal } from '../reports/gate/depends.ts';
import { parseAlpha, parseGateArgs, parseThreshold } from '../reports/gate/options.ts';
import { seedLikeScenarios, writeRun, type FixtureRun } from './fixtures/gate/make-run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gate-baseline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;
const newDir = () => join(tmp, `run${runs++}`);
const baselineOf = (run: FixtureRun): Baseline => readRunAsBaseline(writeRun(newDir(), run)).baseline;
const SEED = (): FixtureRun => ({ scenarios: seedLikeScenarios({ seed: 1 }) });

/** Asserts fn throws a usage error (exit 2) whose message matches re. */
function assertUsage(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BenchError, `not a BenchError: ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, re);
    return true;
  });
}

test('a run converts to a baseline: measured samples in run order, warm-up left out, dependencies from run.json', () => {
  const b = baselineOf({
    runId: 'r1', kernels: { noaudit: 'aaaa', audit: 'bbbb' }, bpfDigest: null,
    scenarios: [
      { name: 'vanilla', kernel: 'noaudit', samples: [300.0004, 100, 200], warmup: [999, 998] },
      { name: 'audit-execve', kernel: 'audit', samples: [400.1236] },
    ],
  });
  assert.deepEqual(b.scenarios, {
    vanilla: { kernel: 'noaudit', boots: [{ seed: 42, samples_ns: [300, 100, 200] }], samples_ns: [300, 100, 200] },
    'audit-execve': { kernel: 'audit', boots: [{ seed: 42, samples_ns: [400.124] }], samples_ns: [400.124] },
  });
  assert.equal(b.depends_on.layout, 'fixed', 'a run.json without options.layout was made with the fixed layout');
  assert.deepEqual(Object.keys(b.scenarios), ['vanilla', 'audit-execve']);
  assert.equal(b.from_run, 'r1');
  assert.equal(b.baseline_scenario, 'vanilla');
  assert.equal(b.matrix, 'seed');
  assert.deepEqual(b.depends_on.kernels, { noaudit: 'aaaa', audit: 'bbbb' });
  assert.equal(b.depends_on.bpf_digest, null);
  assert.equal(b.depends_on.kernel_source, '585a4a074597aefa');
  assert.deepEqual(b.depends_on.workloads.vanilla, { execs: 100, samples: 3, warmup: 2, warmupMax: 2, ldPreload: '/lib/libkrsi-demo.so', envPages: 0 });
});

test('the baseline file: one line per scenario and per workload, parses back to the same baseline', () => {
  const b = baselineOf(SEED());
  const text = formatBaseline(b);
  const lines = text.split('\n');
  for (const name of Object.keys(b.scenarios)) {
    assert.equal(lines.filter((l) => l.trimStart().startsWith(`"${name}": {"kernel"`)).length, 1, `${name}'s samples line`);
    assert.equal(lines.filter((l) => l.trimStart().startsWith(`"${name}": {"execs"`)).length, 1, `${name}'s workload line`);
  }
  assert.ok(lines.length < 40, `${lines.length} lines`);
  assert.ok(text.endsWith('}\n'));
  // The file keeps each boot's samples; the flat samples_ns is derived again when it is read.
  const strip = (x: typeof b) => ({ ...x, scenarios: Object.fromEntries(Object.entries(x.scenarios).map(([n, v]) => [n, { kernel: v.kernel, boots: v.boots }])) });
  assert.deepEqual(JSON.parse(text), strip(b));
  assert.deepEqual(checkBaseline(JSON.parse(text), 'x.json'), b);
  assert.deepEqual(Object.keys(JSON.parse(text)), ['format', 'created', 'from_run', 'suite_revision', 'mode', 'unit', 'baseline_scenario', 'matrix', 'depends_on', 'scenarios']);
});

test('a baseline file of format /1 (before layouts were drawn) is read as one boot of the fixed layout', () => {
  const v1 = readBaselineFile(join(import.meta.dirname, 'fixtures/gate/seed-fixed-v1.json'));
  assert.equal(v1.depends_on.layout, 'fixed');
  assert.equal(v1.scenarios.vanilla!.boots.length, 1);
  assert.equal(v1.scenarios.vanilla!.boots[0]!.seed, null);
  assert.equal(v1.scenarios.vanilla!.samples_ns.length, 30);
});

test('malformed baseline files are usage errors naming the file and the field', () => {
  const good = JSON.parse(formatBaseline(baselineOf(SEED()))) as Record<string, any>;
  const file = join(tmp, 'bad.json');
  const check = (mutate: (b: any) => void, re: RegExp) => {
    const b = structuredClone(good);
    mutate(b);
    writeFileSync(file, JSON.stringify(b));
    assertUsage(() => readBaselineFile(file), re);
  };
  check((b) => { b.format = 'krsi-bench-baseline/3'; }, /bad\.json: format is "krsi-bench-baseline\/3"/);
  check((b) => { b.scenarios.vanilla.boots[0].samples_ns[3] = -1; }, /bad\.json: scenarios\.vanilla\.boots\[0\]\.samples_ns\[3\] must be a number > 0/);
  check((b) => { b.scenarios.vanilla.boots[0].samples_ns = []; }, /scenarios\.vanilla\.boots\[0\]\.samples_ns is empty/);
  check((b) => { b.scenarios.vanilla.boots = []; }, /scenarios\.vanilla\.boots is empty/);
  check((b) => { b.depends_on.layout = 'other'; }, /depends_on\.layout must be "random" or "fixed"/);
  check((b) => { delete b.depends_on.workloads['audit-execve']; }, /depends_on\.workloads\.audit-execve must be an object, is missing/);
  check((b) => { b.depends_on.mode = 'kvm'; }, /depends_on\.mode is "kvm" but mode is "icount"/);
  check((b) => { b.depends_on.kernels.audit = 7; }, /depends_on\.kernels\.audit must be a string/);
  check((b) => { b.scenarios = {}; }, /scenarios is empty/);
  writeFileSync(file, '{"format": "krsi-bench-baseline/1",');
  assertUsage(() => readBaselineFile(file), /bad\.json: not valid JSON/);
  assertUsage(() => readBaselineSource(join(tmp, 'nope.json')), /nope\.json: no such baseline file or run directory/);
});

test('a run directory without run.json, or with a malformed one, is refused naming the file', () => {
  const dir = writeRun(newDir(), SEED());
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  meta.kernels[0].configHash = 5;
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  assertUsage(() => readRunAsBaseline(dir), /run\.json: kernels\[0\]\.configHash must be a string/);
  meta.kernels[0].configHash = 'x';
  meta.mode = 'tcg';
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  assertUsage(() => readRunAsBaseline(dir), /run\.json: mode must be "icount" or "kvm"/);
  meta.mode = 'icount';
  meta.scenarios.pop();
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  assertUsage(() => readRunAsBaseline(dir), /samples\.csv: scenario krsi-ld-preload is not in .*run\.json/);
  rmSync(join(dir, 'run.json'));
  assertUsage(() => readRunAsBaseline(dir), /no run\.json/);
  writeFileSync(join(dir, 'samples.csv'), 'scenario,kernel\nvanilla\n');
  assertUsage(() => readRunAsBaseline(dir), /samples\.csv line 1: missing columns/);
});

test('dependencies: identical runs match; each changed field is named with both values', () => {
  const base = baselineOf(SEED());
  assert.deepEqual(checkDependencies(base, baselineOf(SEED())), { mode: null, missing: [], added: [], mismatches: [] });
  const changed = baselineOf({ ...SEED(), kernels: { noaudit: '37a7bc520e36799e', audit: '9c1b000000000000' }, qemu: '8.2.0', execs: 50 });
  const c = checkDependencies(base, changed);
  assert.equal(c.mode, null);
  assert.deepEqual(c.mismatches.slice(0, 2), [
    { field: 'depends_on.kernels.audit', kind: 'config', baseline: '3f2a9c1b77d04e15', current: '9c1b000000000000' },
    { field: 'depends_on.qemu', kind: 'code', baseline: '7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', current: '8.2.0' },
  ]);
  assert.deepEqual(c.mismatches.slice(2).map((m) => `${m.field} ${m.baseline} ${m.current}`), Object.keys(base.scenarios).map((n) => `depends_on.workloads.${n}.execs 100 50`));
  const err = refusal(c, false, { baseline: 'b.json', current: 'cur' });
  assert.equal(err?.exitCode, 2);
  assert.match(err!.message, /^baseline and current differ in kernel config depends_on\.kernels\.audit \(3f2a9c1b77d04e15 vs 9c1b000000000000\); code depends_on\.qemu .*; rerun or pass --allow-mismatch$/);
  assert.equal(refusal(c, true, { baseline: 'b.json', current: 'cur' }), null);
});

test('dependencies: the number of kernel links is a workload dependency, kept in the file and checked when read', () => {
  const withLinks = (d: number | undefined) => {
    const b = baselineOf(SEED());
    return { ...b, depends_on: { ...b.depends_on, layout: 'random' as const, ...(d !== undefined && { kernel_links: d }) } };
  };
  assert.deepEqual(checkDependencies(withLinks(4), withLinks(4)).mismatches, []);
  // Seeds map to other links: the boots of a seed are no longer the same boots.
  assert.deepEqual(checkDependencies(withLinks(4), withLinks(12)).mismatches, [{ field: 'depends_on.kernel_links', kind: 'workload', baseline: '4', current: '12' }]);
  // A baseline from before links were drawn ran the build's own link.
  assert.deepEqual(checkDependencies(withLinks(undefined), withLinks(4)).mismatches.map((m) => `${m.field} ${m.baseline} ${m.current}`), ['depends_on.kernel_links absent 4']);
  const file = join(tmp, 'links.json');
  writeFileSync(file, formatBaseline(withLinks(4)));
  assert.equal(readBaselineFile(file).depends_on.kernel_links, 4);
  writeFileSync(file, formatBaseline(withLinks(4)).replace('"kernel_links": 4', '"kernel_links": 0'));
  assertUsage(() => readBaselineFile(file), /depends_on\.kernel_links must be/);
});

test('dependencies: split boots are a workload dependency, recorded from run.json, kept in the file and checked when read', () => {
  const split = baselineOf({ ...SEED(), splitBoots: true });
  const whole = baselineOf(SEED());
  assert.equal(split.depends_on.boots, 'split');
  assert.equal(whole.depends_on.boots, undefined, 'a run whose guests booted whole, or one from before, records nothing');
  assert.deepEqual(checkDependencies(split, split).mismatches, []);
  // A seed's boot restored from a shared part is another draw than the same seed booted whole.
  assert.deepEqual(checkDependencies(whole, split).mismatches, [{ field: 'depends_on.boots', kind: 'workload', baseline: 'whole', current: 'split' }]);
  const file = join(tmp, 'boots.json');
  writeFileSync(file, formatBaseline(split));
  assert.equal(readBaselineFile(file).depends_on.boots, 'split');
  writeFileSync(file, formatBaseline(split).replace('"boots": "split"', '"boots": "halved"'));
  assertUsage(() => readBaselineFile(file), /depends_on\.boots must be "split" or absent, is "halved"/);
});

test('dependencies: another kernel source is a mismatch of its own, named by package version and digest, before the configs it changes', () => {
  const base = baselineOf({ ...SEED(), sourceVersion: '6.12.117-1~deb12u1' });
  const moved = baselineOf({ ...SEED(), sourceVersion: '6.12.118-1~deb12u1', sourceId: 'ffffffffffffffff', kernels: { noaudit: '8dfe0e4029cf37b7', audit: '1111111111111111' } });
  assert.match(moved.depends_on.kernel_sources!.noaudit!, /^linux-source-6\.12 6\.12\.118-1~deb12u1 \(sha256 [0-9a-f]{12}\)$/);
  const c = checkDependencies(base, moved);
  assert.deepEqual(c.mismatches.filter((m) => m.kind === 'source').map((m) => m.field), ['depends_on.kernel_sources.noaudit', 'depends_on.kernel_sources.audit']);
  assert.deepEqual(c.mismatches.filter((m) => m.kind === 'config').map((m) => m.field), ['depends_on.kernels.noaudit', 'depends_on.kernels.audit']);
  // The source id follows from the sources: not named again as a code change.
  assert.ok(!c.mismatches.some((m) => m.field === 'depends_on.kernel_source'));
  const err = refusal(c, false, { baseline: 'b.json', current: 'cur' })!;
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /^baseline and current differ in kernel source depends_on\.kernel_sources\.noaudit \(linux-source-6\.12 6\.12\.117-1~deb12u1 \(sha256 [0-9a-f]{12}\) vs linux-source-6\.12 6\.12\.118-1~deb12u1 .*; kernel config depends_on\.kernels\.noaudit .*\(another kernel source: make the baseline again on this one, or run on the baseline's\); rerun or pass --allow-mismatch$/);

  // The same sources under another id: the suite's own kernel patches changed, a code mismatch.
  const patched = checkDependencies(base, baselineOf({ ...SEED(), sourceVersion: '6.12.117-1~deb12u1', sourceId: 'eeeeeeeeeeeeeeee' }));
  assert.deepEqual(patched.mismatches.map((m) => `${m.kind} ${m.field}`), ['code depends_on.kernel_source']);
  // A baseline from before sources were recorded compares the ids, as a source mismatch.
  const old = checkDependencies(baselineOf({ ...SEED(), sourceVersion: null }), baselineOf({ ...SEED(), sourceId: 'eeeeeeeeeeeeeeee' }));
  assert.deepEqual(old.mismatches.map((m) => `${m.kind} ${m.field}`), ['source depends_on.kernel_source']);
});

test('dependencies: kernel_sources survive a baseline file written and read back', () => {
  const b = baselineOf(SEED());
  const file = join(tmp, 'sources.json');
  writeFileSync(file, formatBaseline(b));
  assert.deepEqual(readBaselineFile(file).depends_on.kernel_sources, b.depends_on.kernel_sources);
  assert.match(readFileSync(file, 'utf8'), /^ {4}"kernel_sources": \{\n {6}"noaudit": "linux-source-6\.12 6\.12\.118-1~deb12u1 \(sha256 [0-9a-f]{12}\)",$/m);
});

test('dependencies: a mode mismatch is refused even when mismatches are allowed', () => {
  const c = checkDependencies(baselineOf(SEED()), baselineOf({ ...SEED(), mode: 'kvm' }));
  assert.deepEqual(c.mode, { field: 'depends_on.mode', kind: 'code', baseline: 'icount', current: 'kvm' });
  assert.match(refusal(c, true, { baseline: 'b.json', current: 'cur' })!.message, /b\.json is icount mode and current cur is kvm mode .*not even with --allow-mismatch/);
});

test('dependencies: missing scenarios are refused, added ones are not; a BPF-free baseline ignores bpf_digest', () => {
  const two = { scenarios: seedLikeScenarios({ seed: 1, only: ['vanilla', 'audit-execve'] }), bpfDigest: null };
  const c = checkDependencies(baselineOf(SEED()), baselineOf(two));
  assert.deepEqual(c.missing, ['audit-compiled', 'audit-no-rules', 'krsi-ld-preload']);
  assert.match(refusal(c, true, { baseline: 'b.json', current: 'cur' })!.message, /^scenarios audit-compiled, audit-no-rules, krsi-ld-preload of baseline b\.json missing from current run cur/);
  const grown = checkDependencies(baselineOf(two), baselineOf(SEED()));
  assert.deepEqual(grown, { mode: null, missing: [], added: ['audit-compiled', 'audit-no-rules', 'krsi-ld-preload'], mismatches: [] });
  assert.equal(refusal(grown, false, { baseline: 'b.json', current: 'cur' }), null);
  const bpfChanged = checkDependencies(baselineOf(SEED()), baselineOf({ ...SEED(), bpfDigest: 'ffff' }));
  assert.deepEqual(bpfChanged.mismatches.map((m) => m.field), ['depends_on.bpf_digest']);
});

test('options: threshold as "1%" or "1", alpha in (0, 1), --update takes no gate options', () => {
  assert.equal(parseThreshold('1%'), 1);
  assert.equal(parseThreshold('1'), 1);
  assert.equal(parseThreshold('0.5 %'), 0.5);
  assertUsage(() => parseThreshold('-1%'), /--threshold "-1%"/);
  assertUsage(() => parseThreshold('1pp'), /--threshold/);
  assert.equal(parseAlpha('0.05'), 0.05);
  assertUsage(() => parseAlpha('1'), /--alpha "1"/);
  assertUsage(() => parseAlpha(''), /--alpha/);
  const o = parseGateArgs(['--current', 'r', '--threshold', '2%', '--metric', 'absolute'], '/b');
  assert.ok(o !== 'help');
  assert.deepEqual(
    { command: o.command, baseline: o.baseline, thresholdPct: o.thresholdPct, alpha: o.alpha, metric: o.metric, allowMismatch: o.allowMismatch, out: o.out },
    { command: 'gate', baseline: null, thresholdPct: 2, alpha: 0.01, metric: 'absolute', allowMismatch: false, out: null },
  );
  const d = parseGateArgs(['--current', 'r'], '/b');
  assert.ok(d !== 'help');
  assert.deepEqual([d.metric, d.thresholdPct, d.alpha], ['both', 1, 0.01]);
  const metric = (m: string) => {
    const o = parseGateArgs(['--current', 'r', '--metric', m], '/b');
    return o === 'help' ? o : o.metric;
  };
  assert.deepEqual(['overhead', 'cpu', 'latency', 'both', 'absolute'].map(metric), ['cpu', 'cpu', 'latency', 'both', 'absolute']);
  assert.equal(parseGateArgs(['-h'], '/b'), 'help');
  assertUsage(() => parseGateArgs(['--baseline', 'b'], '/b'), /--current RUN_DIR is required/);
  assertUsage(() => parseGateArgs(['--current', 'r', '--metric', 'mean'], '/b'), /--metric "mean"/);
  assertUsage(() => parseGateArgs(['--update', '--current', 'r', '--threshold', '2'], '/b'), /--threshold does not apply to --update/);
  assertUsage(() => parseGateArgs(['--current', 'r', 'extra'], '/b'), /see --help/);
});
