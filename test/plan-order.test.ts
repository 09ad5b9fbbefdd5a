import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadMatrix } from '../bench/matrix.ts';
import { twinsOf } from '../bench/guests.ts';
import { buildOrder, guestCost, guestOrder, planJobs, selectScenarios } from '../bench/plan.ts';

const opts = { samples: undefined, execs: undefined, warmup: undefined, boots: 1, seed: 42 };

test('buildOrder builds last the kernel whose guests take least time, so few guests run after the last compile', async () => {
  const m = await loadMatrix('seed');
  const jobs = planJobs(m.scenarios, opts);
  // The seed matrix lists vanilla first, but the audit kernel has three guests against two.
  assert.deepEqual(buildOrder(['noaudit', 'audit'], jobs), ['audit', 'noaudit']);

  // One audit guest against two noaudit ones: noaudit first.
  const few = planJobs(selectScenarios(m, ['vanilla', 'krsi-ld-preload', 'audit-execve']), opts);
  assert.deepEqual(buildOrder(['noaudit', 'audit'], few), ['noaudit', 'audit']);

  // A kernel without guests of this run goes last; equal loads keep the given order.
  assert.deepEqual(buildOrder(['spare', 'noaudit'], jobs), ['noaudit', 'spare']);
  const pair = planJobs(selectScenarios(m, ['vanilla', 'audit-compiled']), opts);
  assert.deepEqual(buildOrder(['noaudit', 'audit'], pair), ['noaudit', 'audit']);
  assert.deepEqual(buildOrder(['audit', 'noaudit'], pair), ['audit', 'noaudit']);
});

test('guestCost counts the boot, the execs, and what slows each exec down', async () => {
  const m = await loadMatrix('seed');
  const cost = Object.fromEntries(planJobs(m.scenarios, opts).map((j) => [j.scenario.name, guestCost(j)]));
  assert.ok(cost['audit-execve']! > cost['audit-no-rules']!);
  assert.ok(cost['audit-no-rules']! > cost['audit-compiled']!);
  assert.ok(cost['krsi-ld-preload']! > cost['vanilla']!);
  // As the default run's guests' wall times rank them (run.json, 2026-12-04): audit-execve 6.2 s, the BPF
  // scenarios 4.0-5.3 s, audit-no-rules 3.5 s, audit-compiled 2.9 s, vanilla 2.4 s.
  assert.ok(cost['audit-execve']! > cost['krsi-exec-record']! && cost['audit-execve']! > cost['krsi-ld-preload']!);
  assert.ok(cost['krsi-ld-preload']! > cost['audit-no-rules']!);
  const longer = planJobs(selectScenarios(m, ['vanilla']), { ...opts, samples: 300 });
  assert.ok(guestCost(longer[0]!) > cost['vanilla']!);
});

test('guestOrder starts the kernels in build order, and within one the dearest guests first, seed by seed', async () => {
  const m = await loadMatrix('seed');
  const jobs = planJobs(m.scenarios, { ...opts, boots: 2 });
  const order = guestOrder(jobs, ['audit', 'noaudit']).map((i) => jobs[i]!.id);
  assert.deepEqual(order, [
    'audit-execve-boot0', 'audit-execve-boot1', 'audit-no-rules-boot0', 'audit-no-rules-boot1', 'audit-compiled-boot0', 'audit-compiled-boot1',
    // guestCost prices both BPF scenarios alike (one tool each): the tie keeps the matrix's order.
    'krsi-ld-preload-boot0', 'krsi-ld-preload-boot1', 'krsi-exec-record-boot0', 'krsi-exec-record-boot1', 'vanilla-boot0', 'vanilla-boot1',
  ]);
  // The other build order puts the other kernel's guests first; every job appears once.
  const other = guestOrder(jobs, ['noaudit', 'audit']);
  assert.equal(jobs[other[0]!]!.scenario.kernel, 'noaudit');
  assert.deepEqual([...other].sort((a, b) => a - b), jobs.map((_, i) => i));
});

test('twinsOf finds the guests of krsi-design that another scenario boots byte for byte, and nothing in the seed matrix', async () => {
  const design = await loadMatrix('krsi-design');
  const jobs = planJobs(design.scenarios, { ...opts, boots: 2 });
  const pairs = [...twinsOf(jobs)].map(([i, j]) => `${jobs[i]!.id}=${jobs[j]!.id}`).sort();
  assert.deepEqual(pairs, ['env-0-none-boot0=vanilla-boot0', 'env-0-none-boot1=vanilla-boot1', 'ringbuf-boot0=env-0-one-var-boot0', 'ringbuf-boot1=env-0-one-var-boot1']);
  const seed = await loadMatrix('seed');
  assert.equal(twinsOf(planJobs(seed.scenarios, { ...opts, boots: 2 })).size, 0);
});

test('a decoy LD_PRELOAD needs the LD_PRELOAD it comes before: refused, naming the scenario', async () => {
  const m = await loadMatrix('seed');
  const s = { ...m.scenarios[0]!, name: 'decoyed', workload: { ldPreload: null, ldPreloadDecoy: '/lib/x.so' } };
  assert.throws(() => planJobs([s], { samples: 2, execs: 10, warmup: 1, boots: 1, seed: 1 }), /scenario decoyed: workload\.ldPreloadDecoy comes before an LD_PRELOAD, and ldPreload is null/);
});
