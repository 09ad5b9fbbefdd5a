import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchArgs } from '../bench/options.ts';
import { planJobs, resolveWorkload, selectScenarios, totalExecs } from '../bench/plan.ts';
import { loadMatrix } from '../bench/matrix.ts';

test('parseBenchArgs fills in the defaults', () => {
  const o = parseBenchArgs([]);
  if (o === 'help') return assert.fail('help');
  assert.equal(o.matrix, 'seed');
  assert.equal(o.mode, 'icount');
  assert.equal(o.scenarios, null);
  assert.equal(o.samples, undefined);
  assert.equal(o.boots, undefined, 'no --boots: the matrix default, else DEFAULT_BOOTS, is taken in runBench');
  assert.equal(o.layout, 'random');
  assert.equal(o.kernelLinks, 12, 'D = 12 drawn links of each kernel, one for each of the 12 default boots');
  assert.ok(o.jobs >= 1);
  assert.equal(o.out, 'results');
});

test('parseBenchArgs reads every option and rejects bad values with a usage error', () => {
  const o = parseBenchArgs(['--scenarios', 'vanilla, audit-execve', '--mode', 'kvm', '--samples', '7', '--execs', '50', '--warmup', '0', '--jobs', '3', '--seed', '0']);
  if (o === 'help') return assert.fail('help');
  assert.deepEqual([o.scenarios, o.mode, o.samples, o.execs, o.warmup, o.jobs, o.seed], [['vanilla', 'audit-execve'], 'kvm', 7, 50, 0, 3, 0]);
  assert.equal(parseBenchArgs(['--help']), 'help');
  assert.throws(() => parseBenchArgs(['--nope']), (e: Error & { exitCode?: number }) => /Unknown option '--nope'/.test(e.message) && e.exitCode === 2);
  assert.throws(() => parseBenchArgs(['--mode', 'tcg']), /--mode is icount or kvm, not "tcg"/);
  assert.equal((parseBenchArgs(['--layout', 'fixed']) as { layout: string }).layout, 'fixed');
  assert.equal((parseBenchArgs(['--kernel-links', '12']) as { kernelLinks: number }).kernelLinks, 12);
  for (const [args, re] of [
    [['--layout', 'other'], /--layout is random or fixed, not "other"/],
    [['--boots', '0'], /--boots takes a whole number >= 1, not "0"/],
    [['--kernel-links', '0'], /--kernel-links takes a whole number >= 1, not "0"/],
    [['--seed', 'x'], /--seed takes a whole number >= 0, not "x"/],
    [['--seed', '-1'], /--seed/],
    [['--seed=-1'], /--seed takes a whole number >= 0, not "-1"/],
  ] as const) {
    assert.throws(() => parseBenchArgs([...args]), (e: Error & { exitCode?: number }) => re.test(e.message) && e.exitCode === 2 && !e.message.includes('\n'), args.join(' '));
  }
  assert.throws(() => parseBenchArgs(['--samples', '0']), /--samples takes a whole number >= 1, not "0"/);
  assert.throws(() => parseBenchArgs(['--execs', '1.5']), /--execs takes a whole number/);
  assert.throws(() => parseBenchArgs(['--scenarios', ',']), /at least one scenario/);
});

test('planJobs gives each scenario and boot its own guest, command line over matrix over defaults', async () => {
  const m = await loadMatrix('seed');
  const chosen = selectScenarios(m, ['krsi-ld-preload', 'vanilla']);
  assert.deepEqual(chosen.map((s) => s.name), ['vanilla', 'krsi-ld-preload']);
  assert.throws(() => selectScenarios(m, ['vanila']), /unknown scenario "vanila" in --scenarios \(matrix seed has: vanilla, /);
  const jobs = planJobs(chosen, { samples: 5, execs: undefined, warmup: undefined, boots: 2, seed: 10 });
  assert.deepEqual(jobs.map((j) => [j.id, j.seed]), [['vanilla-boot0', 10], ['vanilla-boot1', 11], ['krsi-ld-preload-boot0', 10], ['krsi-ld-preload-boot1', 11]]);
  assert.deepEqual(jobs[0]!.workload, { execs: 100, samples: 5, warmup: 1, warmupMax: 1, ldPreload: '/lib/libkrsi-demo.so', envPages: 0 });
  const custom = { ...chosen[0]!, workload: { envPages: 8, samples: 9 } };
  assert.equal(resolveWorkload(custom, { samples: undefined, execs: 10, warmup: 1 }).samples, 9);
  assert.equal(resolveWorkload(custom, { samples: 4, execs: 10, warmup: 1 }).samples, 4);
  // At most: a fixed warm-up by default (warmupMax = warmup); adaptive up to warmupMax when it is asked for.
  assert.equal(totalExecs(resolveWorkload(custom, { samples: 4, execs: 10, warmup: 1 })), 50);
  assert.equal(totalExecs(resolveWorkload(custom, { samples: 4, execs: 10, warmup: 1, warmupMax: 8 })), 120);
  // A minimum above the default bound raises the bound; above a bound that was asked for, it is refused.
  assert.deepEqual(((w) => [w.warmup, w.warmupMax])(resolveWorkload(custom, { samples: 4, execs: 10, warmup: 10 })), [10, 10]);
  assert.throws(() => resolveWorkload(custom, { samples: 4, execs: 10, warmup: 5, warmupMax: 3 }), /--warmup-max 3 is below the minimum warm-up 5/);
  assert.throws(() => resolveWorkload({ ...custom, workload: { warmupMax: 1 } }, { samples: 4, execs: 10, warmup: 2 }), /workload.warmupMax 1 is below the minimum warm-up 2/);
});
