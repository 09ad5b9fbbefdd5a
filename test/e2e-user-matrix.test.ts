/**
 * End to end with users' own matrices: the worked example (a user's LSM
 * program compiled against the guest kernel's BTF and a user's audit rule
 * file), and the faults a user can cause: a program the verifier rejects and
 * a kernel config that cannot be had. Needs the seed matrix's kernels (built
 * on first use).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../reports/load.ts';
import type { Summary } from '../reports/summary.ts';

const ROOT = join(import.meta.dirname, '..');

function bench(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'krsi-user-'));
  const r = spawnSync('npx', ['tsx', 'scripts/bench.ts', '--samples', '4', '--execs', '10', '--warmup', '1', '--warmup-max', '1', '--boots', '1', '--out', out, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { ...r, out };
}

test('the exec-guard example measures a user LSM program and a user audit rule file', { timeout: 60 * 60_000 }, () => {
  const r = bench(['--matrix', 'examples/exec-guard/matrix.json']);
  assert.equal(r.status, 0, r.stderr);
  const dir = realpathSync(join(r.out, 'latest'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(summary.scenarios.map((s) => s.name), ['vanilla', 'exec-guard', 'audit-compiled', 'audit-watch-nop']);
  const events = readEvents(join(dir, 'events.csv'));
  const guard = events.find((e) => e.scenario === 'exec-guard');
  // The program logs every exec in the guest, nop's (50) and the shell's own.
  assert.equal(guard?.source, 'bpf:exec_guard (unchecked)');
  assert.ok(guard.logged >= 50, `exec_guard sent ${guard.logged} records for 50 execs`);
  const watch = events.find((e) => e.scenario === 'audit-watch-nop');
  assert.equal(watch?.logged, 50, 'the watch rule recorded every exec of nop');
  assert.equal(watch.lost, 0);
  const exec = summary.scenarios.find((s) => s.name === 'exec-guard')!;
  assert.ok(exec.median_ns > summary.scenarios[0]!.median_ns, 'a program on every exec costs something');
});

test('a BPF program the verifier rejects fails the run with the console log to read and no data', { timeout: 60 * 60_000 }, () => {
  const r = bench(['--matrix', 'test/fixtures/matrices/verifier-rejects.json']);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  const error = lines[lines.length - 1]!;
  assert.match(error, /^error: scenario rejected \(boot 0\): guest failed: user_rejected was rejected by the verifier: invalid unbounded variable-offset write to stack R1 \(see .*\.failed\/logs\/rejected-boot0\.console\.log\)$/);
  const failed = readdirSync(r.out);
  assert.equal(failed.length, 1);
  assert.match(failed[0]!, /\.failed$/);
  assert.ok(!existsSync(join(r.out, failed[0]!, 'samples.csv')) && !existsSync(join(r.out, 'latest')));
  const console = readFileSync(join(r.out, failed[0]!, 'logs', 'rejected-boot0.console.log'), 'utf8');
  assert.match(console, /failed to load/);
});

test('a BPF program that loads but cannot attach fails the run with the loader\'s own line and no data', { timeout: 60 * 60_000 }, () => {
  const r = bench(['--matrix', 'test/fixtures/matrices/attach-fails.json']);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1]!, /^error: scenario unattachable \(boot 0\): guest failed: user_unattachable failed to load or attach: bpf_attach: cannot attach nowhere: .+ \(see .*\.failed\/logs\/unattachable-boot0\.console\.log\)$/);
  assert.ok(!existsSync(join(r.out, 'latest')), 'a run whose program never attached left results');
});

test('a kernel option that does not survive olddefconfig stops the run before building', { timeout: 10 * 60_000 }, () => {
  const r = bench(['--matrix', 'test/fixtures/matrices/bad-kernel-config.json']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: kernel config \(impossible\): CONFIG_KRSI_BENCH_NO_SUCH_OPTION=y became unset after olddefconfig .*\(see .*kernel-impossible\.log\)/);
});
