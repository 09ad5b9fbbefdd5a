/**
 * End to end, a small subset of the krsi-design matrix: every new program
 * (the six of krsi_hooks, krsi_env_vars), both seccomp setups, an audit
 * ladder step loaded with auditctl -R, per-scenario baselines, and the
 * report's questions; and a kernel of its own Debian source package
 * (kernels.K.source). One boot each, few execs: this checks that each
 * mechanism loads, attaches and logs every exec with the right value, not
 * its cost. Needs the seed matrix's kernels (built on first use).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pinOf } from '../kernels/pins.ts';
import type { RunMeta } from '../lib/results.ts';
import { readEvents } from '../reports/load.ts';
import type { Summary } from '../reports/summary.ts';
import { WORKLOAD_GROUP } from '../reports/latency.ts';

const ROOT = join(import.meta.dirname, '..');
const EXECS = 10;

function bench(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'krsi-design-'));
  const r = spawnSync('npx', ['tsx', 'scripts/bench.ts', '--samples', '2', '--execs', String(EXECS), '--warmup', '1', '--warmup-max', '1', '--boots', '1', '--out', out, ...args], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const dir = realpathSync(join(out, 'latest'));
  return { dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary, events: readEvents(join(dir, 'events.csv')) };
}

const LOGGING = ['env-1-all-vars', 'perfbuf', 'sleepable', 'kprobe', 'fentry', 'tp-btf', 'tracepoint', 'seccomp-notify', 'audit-path-exec', 'exec-record-batched'];
const QUIET = ['vanilla', 'env-1-none', 'seccomp-filter', 'audit-compiled', 'audit-rules-10', 'vanilla-unset', 'exec-record-filtered'];

test('krsi-design: every new mechanism logs each exec of nop with the right value, against its own baseline, and the report answers the questions', { timeout: 60 * 60_000 }, () => {
  const { dir, summary, events } = bench(['--matrix', 'krsi-design', '--scenarios', [...QUIET, ...LOGGING].join(',')]);
  const execs = EXECS * 3;
  for (const name of LOGGING) {
    const logged = events.filter((e) => e.scenario === name && e.source !== 'none');
    assert.equal(logged.length, 1, `${name}: one checked source`);
    const e = logged[0]!;
    // Nothing lost, nothing truncated, every event emitted accounted for: perfbuf too, now that its
    // perf buffer exists before the program is attached.
    assert.ok(e.ok, `${name}: ${JSON.stringify(e)}`);
    assert.equal(e.lost, 0, `${name}: lost events`);
    assert.equal(e.expected, execs, `${name}: one event per exec`);
    assert.equal(e.matched, execs, `${name}: every event with the right value`);
  }
  // Filtering in the kernel: with no LD_PRELOAD set, the filtered exec logger sends nothing, and says so.
  const filtered = events.find((e) => e.scenario === 'exec-record-filtered' && e.source === 'krsi_exec_record')!;
  assert.ok(filtered.ok, JSON.stringify(filtered));
  assert.deepEqual([filtered.expected, filtered.logged, filtered.unaccounted], [0, 0, 0]);
  // Batched: fewer writes than records, each record still timed to the file.
  const batched = events.find((e) => e.scenario === 'exec-record-batched')!;
  assert.ok(batched.delay && batched.delay.writes < batched.logged && batched.delay.p50Ns > 0, JSON.stringify(batched));
  const against = (n: string) => summary.scenarios.find((s) => s.name === n)!.overhead!.against;
  assert.equal(against('env-1-all-vars'), 'env-1-none');
  assert.equal(against('env-1-none'), 'vanilla');
  assert.equal(against('audit-rules-10'), 'audit-compiled');
  // The whole environment is more work than none at all.
  assert.ok(summary.scenarios.find((s) => s.name === 'env-1-all-vars')!.overhead!.pct > 0);
  // The seccomp supervisor runs while the exec it answers waits: its time is in the exec's latency, which
  // therefore keeps nearly all of the scenario's cost, unlike a daemon's.
  const of = (n: string) => summary.scenarios.find((s) => s.name === n)!;
  const notify = of('seccomp-notify').latency!;
  const supervisor = notify.by_group_ns['seccomp supervisor'] ?? 0;
  assert.ok(supervisor > 1000, `seccomp-notify: the supervisor ran ${supervisor} ns per exec`);
  // Within its own boot, the latency holds the supervisor's time beside the exec'ing tasks' own.
  const own = notify.by_group_ns[WORKLOAD_GROUP] ?? 0;
  assert.ok(notify.centre.ns - own > 0.9 * supervisor, `seccomp-notify: latency ${notify.centre.ns} ns leaves out the supervisor's ${supervisor} ns beside the tasks' own ${own}`);
  // Against vanilla, nearly all the added CPU cost is added latency. (A difference of one boot each is the
  // two guests' layout draws too: vanilla's seed-42 boot is 3.3 % above seccomp-filter's here, so the
  // supervisor's time alone is no bound for it; the ratio of the two differences shares that draw.)
  const vanilla = of('vanilla').latency!;
  const added = { cpu: notify.cpu_ns - vanilla.cpu_ns, latency: notify.centre.ns - vanilla.centre.ns };
  assert.ok(added.latency > 0.9 * added.cpu, `seccomp-notify: ${added.latency} ns of latency added for ${added.cpu} ns of CPU cost`);
  // The supervisor is in the exec'ing tasks' cgroup: none of its time is a stall, which only the kernel threads
  // outside the cgroup cause here (there is no daemon).
  const threads = (notify.by_group_ns['softirq threads'] ?? 0) + (notify.by_group_ns['other tasks'] ?? 0);
  assert.ok(notify.stall_ns <= threads, `seccomp-notify: stalled ${notify.stall_ns} ns per exec, more than the kernel threads' ${threads}`);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<section id="questions">/);
  assert.match(html, /<p class="answer">At 1 page of environment, all-vars [+-]\d+\.\d\d % \[/);
  assert.match(html, /<p class="answer">Against vanilla, from the cheapest: .*seccomp-notify.* seccomp-notify: the supervisor reads .*TOCTTOU/);
  assert.match(html, /<p class="answer">Against audit-compiled: 10 rules [+-]\d/);
});

test('a kernel of its own source: a Debian package name builds from its pinned version, each scenario against its own vanilla', { timeout: 60 * 60_000 }, () => {
  const matrix = join(mkdtempSync(join(tmpdir(), 'krsi-source-')), 'm.json');
  writeFileSync(matrix, JSON.stringify({
    kernels: { 'own-source': { extends: 'noaudit', source: 'linux-source-6.12' } },
    scenarios: [
      { name: 'vanilla', kernel: 'noaudit' },
      { name: 'own-vanilla', kernel: 'own-source' },
      { name: 'own-krsi', kernel: 'own-source', baseline: 'own-vanilla', bpf: [{ tool: 'krsi_ld_preload' }] },
    ],
  }));
  const { dir, summary } = bench(['--matrix', matrix]);
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
  const own = meta.kernels.find((k) => k.variant === 'own-source')!;
  const pin = pinOf('linux-source-6.12')!;
  assert.equal(own.version, pin.version.replace(/-.*$/, ''), 'the kernel built is not the pinned point release');
  assert.deepEqual(own.source, { spec: `linux-source-6.12=${pin.version}`, kind: 'package', package: 'linux-source-6.12', version: pin.version, sha256: pin.sha256, pinned: true });
  // The same tarball as the default source, so the same source id.
  assert.equal(own.sourceId, meta.kernels.find((k) => k.variant === 'noaudit')!.sourceId);
  const by = (n: string) => summary.scenarios.find((s) => s.name === n)!;
  assert.equal(by('own-krsi').overhead!.against, 'own-vanilla');
  assert.ok(by('own-krsi').events.ok, JSON.stringify(by('own-krsi').events));
});
