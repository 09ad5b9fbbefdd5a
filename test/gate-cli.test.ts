// The gate through its command line, as CI runs it: exit statuses, what is printed, what is (not) written.
// Runs the project's tsx binary, the one `npm run gate` and `npx tsx` resolve to, without npx's start-up cost.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GateReport } from '../reports/gate/gate.ts';
import { seedLikeScenarios, writeRun, type FixtureRun } from './fixtures/gate/make-run.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'gate-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newDir = (name: string) => join(tmp, `${name}-${dirs++}`);
const run = (r: FixtureRun) => writeRun(newDir('run'), r);
const seedRun = (seed: number, shift?: Record<string, number>, extra: Partial<FixtureRun> = {}) => run({ scenarios: seedLikeScenarios({ seed, shift }), ...extra });

interface Result { code: number; stdout: string; stderr: string }

function gate(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/gate.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8')) as GateReport;
const verdictOf = (r: GateReport, name: string) => r.scenarios.find((s) => s.name === name)?.verdict;

/** Asserts exit 2 with one `error: ...` line matching re, and no gate output in `out`. */
function assertRefused(r: Result, re: RegExp, out: string): void {
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, re);
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, `${out} should hold nothing, holds ${existsSync(out) ? readdirSync(out).join(', ') : ''}`);
}

describe('gate CLI', { concurrency: true }, () => {
  test('identical data passes (exit 0) and writes gate.json and gate.md into the current run by default', async () => {
    const old = seedRun(1);
    const cur = seedRun(1);
    const r = await gate('--baseline', old, '--current', cur);
    assert.equal(r.code, 0, r.stderr);
    const report = readReport(cur);
    assert.equal(report.status, 'pass');
    assert.equal(report.counts.gated, 4);
    assert.equal(report.counts.no_change, 4);
    assert.equal(verdictOf(report, 'vanilla'), 'not gated');
    assert.match(r.stdout, /^vanilla .*not gated \(baseline scenario of the overhead metric\)$/m);
    assert.match(r.stdout, /delta \(98 % CI\) +p \(Holm\) +verdict +detects \(80 % power\) +over$/m);
    assert.match(r.stdout, /^audit-execve +\+26\.0\d % +\+26\.0\d % +\+0\.00 pp \[-0\.\d\d, \+0\.\d\d\] +<1e-16 +no change +\+1\.\d\d pp +60 samples$/m);
    const md = readFileSync(join(cur, 'gate.md'), 'utf8');
    assert.match(md.split('\n')[0]!, /^\*\*krsi-bench gate PASS\*\*: no regression in 4 scenarios/);
    assert.match(md, /^\| `audit-execve` \| \+26\.0\d % \| .* \| no change \| \+1\.\d\d pp \| 60 samples \|$/m);
    assert.deepEqual(readdirSync(cur).filter((f) => f.includes('.tmp')), [], 'no temporary file (the writer names them NAME.tmp-PID-N) is left');
  });

  for (const metric of ['overhead', 'absolute'] as const) {
    test(`+5 % on one scenario fails (exit 1), metric ${metric}`, async () => {
      const out = newDir('out');
      const r = await gate('--baseline', seedRun(1), '--current', seedRun(2, { 'audit-execve': 1.05 }), '--metric', metric, '--out', out);
      assert.equal(r.code, 1, r.stderr);
      const report = readReport(out);
      assert.equal(report.status, 'fail');
      // overhead is the older name of cpu.
      assert.equal(report.options.metric, metric === 'overhead' ? 'cpu' : metric);
      assert.deepEqual(report.scenarios.filter((s) => s.verdict === 'regressed').map((s) => s.name), ['audit-execve']);
      assert.match(r.stdout, /^FAIL: 1 of \d scenarios regressed: audit-execve \+\d\.\d\d (pp|%)/m);
      assert.match(readFileSync(join(out, 'gate.md'), 'utf8'), /^\*\*krsi-bench gate FAIL\*\*/);
    });
  }

  test('+0.1 % is no change (exit 0); -5 % is improved (exit 0)', async () => {
    const [small, faster] = [newDir('out'), newDir('out')];
    const old = seedRun(1);
    const [a, b] = await Promise.all([
      gate('--baseline', old, '--current', seedRun(2, { 'audit-execve': 1.001 }), '--out', small, '--threshold', '1%'),
      gate('--baseline', old, '--current', seedRun(2, { 'audit-execve': 0.95 }), '--out', faster, '--threshold', '1'),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(verdictOf(readReport(small), 'audit-execve'), 'no change');
    assert.equal(b.code, 0, b.stderr);
    assert.equal(verdictOf(readReport(faster), 'audit-execve'), 'improved');
    assert.match(b.stdout, /^PASS: no regression in 4 scenarios; improved: audit-execve -/m);
  });

  test('a baseline scenario missing from the current run: exit 2 naming it, nothing written', async () => {
    const out = newDir('out');
    const cur = run({ scenarios: seedLikeScenarios({ seed: 1, only: ['vanilla', 'audit-compiled', 'audit-no-rules', 'krsi-ld-preload'] }) });
    const r = await gate('--baseline', seedRun(1), '--current', cur, '--out', out, '--allow-mismatch');
    assertRefused(r, /scenario audit-execve of baseline .* missing from current run/, out);
    assert.ok(!existsSync(join(cur, 'gate.json')));
  });

  test('a mode mismatch: exit 2 even with --allow-mismatch', async () => {
    const out = newDir('out');
    const r = await gate('--baseline', seedRun(1), '--current', seedRun(1, {}, { mode: 'kvm' }), '--out', out, '--allow-mismatch');
    assertRefused(r, /is icount mode and current .* is kvm mode \(depends_on\.mode\)/, out);
  });

  test('a depends_on mismatch: exit 2 naming field and values; with --allow-mismatch it passes and records a warning', async () => {
    const old = seedRun(1);
    const cur = seedRun(1, {}, { kernels: { noaudit: '37a7bc520e36799e', audit: '9c1b2d3e4f5a6b7c' } });
    const [refused, allowed] = [newDir('out'), newDir('out')];
    const [r, a] = await Promise.all([
      gate('--baseline', old, '--current', cur, '--out', refused),
      gate('--baseline', old, '--current', cur, '--out', allowed, '--allow-mismatch'),
    ]);
    assertRefused(r, /^error: baseline and current differ in kernel config depends_on\.kernels\.audit \(3f2a9c1b77d04e15 vs 9c1b2d3e4f5a6b7c\); rerun or pass --allow-mismatch$/, refused);
    assert.equal(a.code, 0, a.stderr);
    const report = readReport(allowed);
    assert.deepEqual(report.mismatches, [{ field: 'depends_on.kernels.audit', kind: 'config', baseline: '3f2a9c1b77d04e15', current: '9c1b2d3e4f5a6b7c' }]);
    assert.match(report.headline, /1 dependency mismatch allowed/);
    assert.match(a.stdout, /^warning: dependency mismatch allowed by --allow-mismatch: kernel config depends_on\.kernels\.audit \(3f2a9c1b77d04e15 vs 9c1b2d3e4f5a6b7c\)$/m);
    assert.match(readFileSync(join(allowed, 'gate.md'), 'utf8'), /^- dependency mismatch allowed by --allow-mismatch: kernel config depends\\_on\.kernels\.audit/m);
  });

  test('--update writes the baseline file; gating the same run against it passes, every scenario shown within the threshold', async () => {
    const cur = seedRun(3);
    const file = join(newDir('baselines'), 'seed.json');
    const u = await gate('--update', '--current', cur, '--baseline', file);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, new RegExp(`^wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} from run `));
    assert.match(u.stdout, /^ {2}kernels +noaudit=37a7bc520e36799e, audit=3f2a9c1b77d04e15$/m);
    assert.match(u.stdout, /^ {2}bpf_digest +b03554254aa65eb0$/m);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.format, 'krsi-bench-baseline/2');
    assert.equal(written.scenarios['audit-execve'].boots[0].samples_ns.length, 30);
    const out = newDir('out');
    const g = await gate('--baseline', file, '--current', cur, '--out', out, '--metric', 'absolute');
    assert.equal(g.code, 0, g.stderr);
    const report = readReport(out);
    assert.equal(report.inputs.baseline.kind, 'baseline file');
    assert.ok(report.scenarios.every((s) => s.p_holm!.regressed > 0.99 && s.p_holm!.equivalent < 0.01), JSON.stringify(report.scenarios.map((s) => s.p_holm)));
    assert.equal(report.counts.no_change, 5);
  });

  test('a malformed baseline file or an unreadable run: exit 2 naming the file, nothing written', async () => {
    const bad = join(newDir('b'), 'bad.json');
    mkdirSync(dirname(bad));
    writeFileSync(bad, '{"format": "krsi-bench-baseline/1", "scenarios": ');
    const cur = seedRun(1);
    const notRun = newDir('empty');
    const [out1, out2] = [newDir('out'), newDir('out')];
    const [r1, r2] = await Promise.all([
      gate('--baseline', bad, '--current', cur, '--out', out1),
      gate('--baseline', seedRun(1), '--current', notRun, '--out', out2),
    ]);
    assertRefused(r1, /bad\.json: not valid JSON/, out1);
    assert.ok(!existsSync(join(cur, 'gate.json')));
    assertRefused(r2, /empty-\d+: no such run directory/, out2);
  });

  test('--help exits 0; a bad option exits 2', async () => {
    const [h, b] = await Promise.all([gate('--help'), gate('--current', 'x', '--threshold', 'lots')]);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^usage: npm run gate -- --current RUN_DIR/);
    assert.match(h.stdout, /--allow-mismatch/);
    assert.equal(b.code, 2);
    assert.equal(b.stderr, 'error: --threshold "lots" is not a percentage like 1% or 0.5\n');
  });
});
