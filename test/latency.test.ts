/**
 * Exec latency from the kernel's accounting: snapshots worked out by hand,
 * through bench/attribution.ts (the rows a boot writes) and reports/latency.ts
 * (the figures the statistics take), including a synchronous wait that must
 * stay in, a burst on two CPUs, and rows that do not add up.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { attribute, parseSnapshots } from '../bench/attribution.ts';
import { BenchError } from '../lib/errors.ts';
import { attributionCsv, samplesCsv, type AttributionRow } from '../lib/results.ts';
import { bootAccounting, runAccounting } from '../reports/latency.ts';
import { loadRun } from '../reports/load.ts';

const tmp = mkdtempSync(join(tmpdir(), 'krsi-latency-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const where = { scenario: 'seccomp-notify', kernel: 'noaudit', boot: 0, execs: 2 };

/**
 * One CPU, a window of 1 000 000 ns, 2 execs. execbench (pid 10) runs
 * 100 000 ns and waits 50 000 for the CPU; its exec'd children, gone by the
 * end, run 500 000; auditd (20) runs 200 000 and waits 30 000; the seccomp
 * supervisor (11, execbench's child, in its cgroup) runs 150 000 and waits
 * 20 000. The kernel's total run delay grows by 400 000, so the children
 * waited 400 000 - 50 000 - 30 000 - 20 000 = 300 000. Idle: 1 000 000 -
 * 950 000. The cgroup's cpu.pressure "full" grows by 180 us: for 180 000 of
 * auditd's 200 000 ns a task of the cgroup was ready to run (the rest of
 * auditd's run came while the chain slept). While the supervisor ran, the
 * child it answers slept: no stall, and that time stays in the latency,
 * (1 000 000 - 180 000) / 2. The schedstat run delays (350 000 for the
 * cgroup's tasks) count a parent waiting while its own child ran too: they
 * are not what latency leaves out.
 */
const HAND = [
  'window start 5000000 7000000 1000',
  'task start 1 0 9000 0 1 init',
  'task start 10 1 6900000 1000 5 execbench',
  'task start 11 10 100 0 1 execbench',
  'task start 20 1 3000 500 2 auditd',
  'rq start 1 123456 777',
  'psi start 900 40',
  'irqs start 50 60',
  'window end 6000000 7100000 1500',
  'task end 1 0 9000 0 1 init',
  'task end 10 1 7000000 51000 9 execbench',
  'task end 11 10 150100 20000 3 execbench',
  'task end 20 1 203000 30500 4 auditd',
  'rq end 1 999999 400777',
  'psi end 1500 220',
  'irqs end 52 70',
];

function handAttribution() {
  const snaps = parseSnapshots(HAND);
  assert.ok(typeof snaps !== 'string', String(snaps));
  return attribute(snaps, where, new Set());
}

const handRows = (): AttributionRow[] => handAttribution().tasks;

test('attribution rows: each task\'s run time and run delay, the exited children\'s delay as the kernel\'s total less the live tasks\', idle the rest', () => {
  const rows = handRows();
  const by = (task: string, group: string) => rows.find((r) => r.task === task && r.group === group);
  assert.deepEqual([by('execbench', 'workload')?.ns, by('execbench', 'workload')?.delayNs], [100_000, 50_000]);
  assert.deepEqual([by('exited children', 'workload')?.ns, by('exited children', 'workload')?.delayNs], [500_000, 300_000]);
  assert.deepEqual([by('auditd', 'auditd')?.ns, by('auditd', 'auditd')?.delayNs], [200_000, 30_000]);
  assert.deepEqual([by('execbench', 'seccomp supervisor')?.ns, by('execbench', 'seccomp supervisor')?.delayNs], [150_000, 20_000]);
  assert.deepEqual([by('idle', 'idle')?.ns, by('idle', 'idle')?.delayNs], [50_000, 0]);
  // init ran nothing and waited for nothing in the window: no row.
  assert.equal(rows.find((r) => r.task === 'init'), undefined);
  assert.equal(rows.reduce((s, r) => s + r.ns, 0), 1_000_000);
});

test('latency leaves out the cgroup\'s stall for the CPU and keeps a synchronous wait (the supervisor\'s answer)', () => {
  assert.equal(handAttribution().stallNs, 180_000);
  const b = bootAccounting(handRows(), 180_000, 'hand');
  assert.equal(b.windowNs, 1_000_000);
  assert.equal(b.stallNs, 180_000);
  assert.equal(b.latencyNs, 410_000);
  assert.equal(b.cpuNs, 500_000);
  // Leaving the supervisor's run time out as well would give (1 000 000 - 180 000 - 150 000) / 2,
  // and taking the schedstat run delays instead (1 000 000 - 350 000) / 2.
  assert.notEqual(b.latencyNs, 335_000);
  assert.equal(b.runDelayNs, 350_000);
  assert.deepEqual(b.groups, { workload: 600_000, auditd: 200_000, 'seccomp supervisor': 150_000, idle: 50_000 });
  // A guest without PSI reports no stall.
  const noPsi = parseSnapshots(HAND.filter((l) => !l.startsWith('psi')));
  assert.ok(typeof noPsi !== 'string');
  assert.equal(attribute(noPsi, where, new Set()).stallNs, null);
});

test('a burst: four processes on two CPUs, rows adding up to twice the window; each exec takes its chain procs x (window - stall) / execs', () => {
  const rows: AttributionRow[] = [
    { ...where, group: 'workload', task: 'execbench', pid: 10, ns: 1_000, delayNs: 0 },
    { ...where, group: 'workload', task: 'exited children', pid: null, ns: 1_500_000, delayNs: 2_000_000 },
    { ...where, group: 'bpf logger', task: 'krsi_hooks', pid: 30, ns: 400_000, delayNs: 100_000 },
    { ...where, group: 'idle', task: 'idle', pid: null, ns: 99_000, delayNs: 0 },
  ].map((r) => ({ ...r, execs: 8 }));
  const b = bootAccounting(rows, 100_000, 'burst', { cpus: 2, procs: 4 });
  assert.equal(b.windowNs, 1_000_000);
  assert.equal(b.cpuNs, 125_000);
  assert.equal(b.latencyNs, (4 * (1_000_000 - 100_000)) / 8);
  // Read as one CPU, the same rows give another window: the shape matters.
  assert.equal(bootAccounting(rows, 100_000, 'burst').windowNs, 2_000_000);
});

test('accounting that does not add up is refused, naming the boot: tasks beyond the window, a negative run delay, a stall longer than the other tasks ran', () => {
  const refused = (rows: AttributionRow[], stall: number, re: RegExp) => assert.throws(() => bootAccounting(rows, stall, 'run/attribution.csv: vanilla boot 3'), (e: unknown) => {
    assert.ok(e instanceof BenchError);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, re);
    return true;
  });
  const rows = handRows();
  refused(rows.map((r) => (r.group === 'idle' ? { ...r, ns: -10_000 } : r)), 180_000, /^run\/attribution\.csv: vanilla boot 3: its tasks ran .* \(the accounting rows do not add up; tolerance 0\.5 %\)$/);
  refused(rows.map((r) => (r.task === 'exited children' ? { ...r, delayNs: -100_000 } : r)), 180_000, /vanilla boot 3: exited children has a run delay of -100000 ns/);
  refused(rows, 300_000, /vanilla boot 3: the exec'ing tasks stalled 300000 ns for the CPU while other tasks ran 200000 ns/);
  refused(rows, -1, /stalled -1 ns/);
  // Within the tolerance, idle a hair below zero is the accounting's rounding.
  assert.doesNotThrow(() => bootAccounting(rows.map((r) => (r.group === 'idle' ? { ...r, ns: -1_000 } : r)), 180_000, 'x'));
});

test('a run directory: latency per boot with its seed; a window that is not the samples\' time is refused with the file and boot; a run without the stall or the rows has none', () => {
  const dir = join(tmp, 'run');
  mkdirSync(dir, { recursive: true });
  const rows = handRows();
  // Two samples of one exec each, 500 000 ns apiece: the window's time.
  const samples = [0, 1].map((i) => ({ scenario: where.scenario, kernel: where.kernel, boot: 0, sample: i, warmup: false, execs: 1, nsPerExec: 500_000 }));
  writeFileSync(join(dir, 'samples.csv'), samplesCsv(samples));
  writeFileSync(join(dir, 'attribution.csv'), attributionCsv(rows));
  const meta = (stallNs?: number) => JSON.stringify({ runId: 'r', guests: [{ id: 'g', scenario: where.scenario, boot: 0, seed: 77, ...(stallNs !== undefined && { stallNs }) }], scenarios: [{ name: where.scenario, workload: { samples: 2, warmup: 0, execs: 1 } }] });
  writeFileSync(join(dir, 'run.json'), meta(180_000));
  const acc = runAccounting(loadRun(dir))!;
  assert.deepEqual(acc.get(where.scenario)!.map((b) => [b.seed, b.latencyNs]), [[77, 410_000]]);

  // The exited children's run delay is a remainder: a hair below 0 loads and is judged by the tolerance, more is refused naming the boot.
  writeFileSync(join(dir, 'attribution.csv'), attributionCsv(rows.map((r) => (r.task === 'exited children' ? { ...r, delayNs: -1000 } : r))));
  assert.deepEqual(runAccounting(loadRun(dir))!.get(where.scenario)!.map((b) => b.latencyNs), [410_000]);
  writeFileSync(join(dir, 'attribution.csv'), attributionCsv(rows.map((r) => (r.task === 'exited children' ? { ...r, delayNs: -100_000 } : r))));
  assert.throws(() => runAccounting(loadRun(dir)), /attribution\.csv: seccomp-notify boot 0: exited children has a run delay of -100000 ns/);
  writeFileSync(join(dir, 'attribution.csv'), attributionCsv(rows));

  writeFileSync(join(dir, 'samples.csv'), samplesCsv(samples.map((s) => ({ ...s, nsPerExec: 490_000 }))));
  assert.throws(() => runAccounting(loadRun(dir)), /attribution\.csv: seccomp-notify boot 0: its accounting window \(1000000 ns\) is not the time its samples took \(980000 ns, 2\.04 % off; tolerance 0\.5 %\)/);

  // A boot without a stall (a kernel without PSI): latency is not measured.
  writeFileSync(join(dir, 'samples.csv'), samplesCsv(samples));
  writeFileSync(join(dir, 'run.json'), meta());
  assert.equal(runAccounting(loadRun(dir)), null);
  // A profiling run from before the delays were recorded: the column is absent, latency is not measured.
  writeFileSync(join(dir, 'run.json'), meta(180_000));
  const old = attributionCsv(rows).split('\n').map((l) => l.split(',').slice(0, 9).join(',')).join('\n');
  writeFileSync(join(dir, 'attribution.csv'), old);
  assert.equal(runAccounting(loadRun(dir)), null);
});
