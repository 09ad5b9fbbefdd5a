/**
 * End to end, as a user runs it: `npm run bench` on the seed matrix with small
 * N and K, real kernels built from source, real QEMU guests, real auditd and a
 * real BPF LSM program. Builds both kernels on a cold cache (minutes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEvents, readSamples } from '../reports/load.ts';
import { DEFAULT_WORKLOAD } from '../bench/matrix.ts';
import type { Summary } from '../reports/summary.ts';
import type { RunMeta } from '../lib/results.ts';

const SAMPLES = 6;
const EXECS = 20;
const WARMUP = 1;
const BOOTS = 2;
const ROOT = join(import.meta.dirname, '..');
/**
 * How far vanilla's latency may fall below its CPU cost: the softirq thread's share of the loop, which
 * spare cores would take (1.9 % of it with K=100 in the default run, stalling the exec'ing tasks for 1.5 %).
 */
const VANILLA_AGREEMENT = 0.025;

test('npm run bench measures the six seed scenarios and checks what audit and KRSI logged', { timeout: 60 * 60_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'krsi-e2e-'));
  const r = spawnSync('npm', ['run', '--silent', 'bench', '--', '--samples', String(SAMPLES), '--execs', String(EXECS), '--warmup', String(WARMUP), '--boots', String(BOOTS), '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  assert.equal(r.status, 0, `npm run bench failed:\n${r.stdout}`);
  const dir = realpathSync(join(out, 'latest'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  const by = (name: string) => {
    const s = summary.scenarios.find((x) => x.name === name);
    assert.ok(s, `scenario ${name} missing from summary.json`);
    return s;
  };

  assert.equal(summary.mode, 'icount');
  assert.equal(summary.baseline, 'vanilla');
  assert.deepEqual(summary.scenarios.map((s) => s.name), ['vanilla', 'audit-compiled', 'audit-no-rules', 'audit-execve', 'krsi-ld-preload', 'krsi-exec-record']);

  const samples = readSamples(join(dir, 'samples.csv'));
  for (const s of summary.scenarios) {
    const rows = samples.filter((x) => x.scenario === s.name);
    assert.equal(rows.filter((x) => !x.warmup).length, SAMPLES * BOOTS, `${s.name}: measured samples`);
    // A fixed warm-up by default: WARMUP samples, no more.
    for (let b = 0; b < BOOTS; b++) {
      const warm = rows.filter((x) => x.warmup && x.boot === b).length;
      assert.equal(warm, Math.max(WARMUP, DEFAULT_WORKLOAD.warmupMax), `${s.name} boot ${b}: warm-up samples`);
      assert.equal(s.per_boot[b]!.warmups, warm);
    }
    assert.ok(rows.every((x) => x.execs === EXECS && x.nsPerExec > 10_000), `${s.name}: execs and plausible times`);
    assert.equal(s.n, SAMPLES * BOOTS);
    assert.equal(s.boots, BOOTS);
    assert.equal(s.per_boot.length, BOOTS);
  }

  // An execve rule makes every exec write a record through auditd: far more than audit merely enabled.
  const noRules = by('audit-no-rules');
  const execve = by('audit-execve');
  assert.ok(execve.median_ns > noRules.median_ns * 1.1, `audit-execve ${execve.median_ns} ns is not clearly slower than audit-no-rules ${noRules.median_ns} ns`);
  assert.ok(execve.p5_ns > noRules.p95_ns, 'audit-execve and audit-no-rules distributions overlap');

  // events.csv has a row per boot; a boot's execs are its samples', warm-ups included.
  const execsOf = (scenario: string, boot: number) => samples.filter((x) => x.scenario === scenario && x.boot === boot).length * EXECS;
  const events = readEvents(join(dir, 'events.csv'));
  const krsi = events.find((e) => e.scenario === 'krsi-ld-preload' && e.source === 'krsi_ld_preload');
  assert.ok(krsi, 'no krsi_ld_preload events row');
  let execs = execsOf('krsi-ld-preload', krsi.boot);
  assert.equal(krsi.execs, execs);
  assert.equal(krsi.logged, execs, 'KRSI logged one event per exec');
  assert.equal(krsi.matched, execs, 'every KRSI event carried the LD_PRELOAD value that was set');
  assert.equal(krsi.lost, 0);
  const audit = events.find((e) => e.scenario === 'audit-execve' && e.source === 'audit');
  assert.ok(audit, 'no audit events row');
  execs = execsOf('audit-execve', audit.boot);
  assert.equal(audit.logged, execs, 'audit wrote one EXECVE record per exec');
  assert.equal(audit.lost, 0);
  // The exec logger that records what audit's rule records: one record per exec, none lost, each in the file
  // within a delay it measured, one write(2) per record (unbatched).
  const record = events.find((e) => e.scenario === 'krsi-exec-record' && e.source === 'krsi_exec_record');
  assert.ok(record, 'no krsi_exec_record events row');
  execs = execsOf('krsi-exec-record', record.boot);
  assert.deepEqual([record.logged, record.matched, record.lost, record.unaccounted], [execs, execs, 0, 0]);
  const delay = record.delay!;
  assert.ok(delay && delay.p50Ns > 0 && delay.p50Ns <= delay.p99Ns && delay.p99Ns <= delay.maxNs, `exec logger delay ${JSON.stringify(delay)}`);
  assert.ok(delay.writes >= execs, `${delay.writes} writes for ${execs} execs: an unbatched logger writes each record`);
  // The kernels stack the LSMs Debian's do beside bpf (kernels/fragments/lsm.config), and auditd, set up as
  // Debian's package ships it, writes ENRICHED records to the ext4 disk each boot makes (bench/guest/disk.ts).
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
  for (const g of meta.guests) {
    for (const lsm of ['landlock', 'lockdown', 'yama', 'bpf']) assert.ok(g.lsm.split(',').includes(lsm), `${g.id}: ${lsm} is not in its LSMs ${g.lsm}`);
  }
  for (const g of meta.guests.filter((x) => x.scenario === 'audit-no-rules' || x.scenario === 'audit-execve')) {
    const where = /^ext4 (\d+)\/(\d+)$/.exec(g.auditLog ?? '');
    assert.ok(where, `${g.id}: auditd's log was not on ext4: ${g.auditLog}`);
    assert.equal(where[1], where[2], `${g.id}: not every SYSCALL record was ENRICHED (${g.auditLog})`);
    if (g.scenario === 'audit-execve') assert.ok(Number(where[2]) >= execsOf('audit-execve', g.boot), `${g.id}: ${g.auditLog} SYSCALL records`);
  }
  const quiet = events.find((e) => e.scenario === 'audit-no-rules');
  assert.equal(quiet?.logged, 0, 'audit without rules logged no exec records');
  assert.ok(summary.scenarios.every((s) => s.events.ok && s.events.lost === 0), 'events lost or mismatched');

  // Exec latency beside the CPU cost (reports/latency.ts), in every run. Vanilla has no daemon: what the exec'ing
  // tasks stall for is only kernel threads, and its two figures agree. audit-execve's auditd and kauditd run
  // beside the exec'ing process on a machine with spare cores: its latency overhead is well below its CPU overhead.
  for (const s of summary.scenarios) assert.ok(s.latency, `${s.name}: no exec latency`);
  const vanilla = by('vanilla').latency!;
  assert.ok(Math.abs(vanilla.centre.ns / vanilla.cpu_ns - 1) < VANILLA_AGREEMENT, `vanilla: latency ${vanilla.centre.ns} ns against CPU cost ${vanilla.cpu_ns} ns`);
  // And the gap is the kernel threads' time, nothing more: vanilla's exec'ing tasks stall only behind them.
  const threads = (vanilla.by_group_ns['softirq threads'] ?? 0) + (vanilla.by_group_ns['other tasks'] ?? 0);
  assert.ok(vanilla.stall_ns <= threads, `vanilla: stalled ${vanilla.stall_ns} ns per exec, kernel threads ran ${threads}`);
  const execveLatency = execve.latency!.overhead!.pct;
  assert.ok(execveLatency < 0.6 * execve.overhead!.pct, `audit-execve: latency overhead ${execveLatency} % is not well below its CPU overhead ${execve.overhead!.pct} %`);
  assert.ok(execveLatency > 5, `audit-execve: latency overhead ${execveLatency} %: the exec'ing process's own audit work is gone`);

  const report = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(report, /<section id="latency"><h2>Exec latency and CPU cost<\/h2>/);
  assert.ok(report.indexOf('id="latency"') < report.indexOf('<h2>Verdict</h2>'), 'the report does not lead with latency and CPU cost');
  for (const s of summary.scenarios) assert.ok(report.includes(`<td>${s.name}</td>`), `report lacks a row for ${s.name}`);
  assert.ok(!/<script[^>]+src=|<link[^>]+href="http/.test(report), 'report loads something from the network');
  const logs = readdirSync(join(dir, 'logs'));
  assert.ok(summary.scenarios.every((s) => logs.includes(`${s.name}-boot0.console.log`)), 'a guest console log is missing');
  assert.ok(existsSync(join(dir, 'run.json')));
  assert.deepEqual(meta.kernels.map((k) => [k.variant, k.options.CONFIG_AUDIT]).sort(), [['audit', 'y'], ['noaudit', null]]);
});
