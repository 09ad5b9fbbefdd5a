import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSyntheticRun, type SyntheticScenario } from '../bench/synthetic-run.ts';
import { readRunAsBaseline } from '../reports/gate/baseline.ts';
import { compareRuns } from '../reports/gate/compare.ts';
import { loadRun } from '../reports/load.ts';
import { printSummary } from '../reports/print.ts';
import { summarize } from '../reports/summary.ts';
import type { RunMeta } from '../lib/results.ts';

const dir = mkdtempSync(join(tmpdir(), 'krsi-own-baseline-'));
// env-16-none is 10 % above vanilla; env-16-one-var 5 % above env-16-none, so 15.5 % above vanilla.
const SCENARIOS: SyntheticScenario[] = [
  { name: 'vanilla', kernel: 'noaudit', level: 200_000 },
  { name: 'env-16-none', kernel: 'noaudit', level: 220_000 },
  { name: 'env-16-one-var', kernel: 'noaudit', level: 231_000, baseline: 'env-16-none' },
];
const run = (name: string, scenarios = SCENARIOS, seed = 7) =>
  writeSyntheticRun(join(dir, name), { runId: name, mode: 'icount', scenarios, samples: 4, warmup: 1, boots: 6, execs: 100, seed });

test("a scenario's own baseline: its overhead is taken against it, and the table and gate say so", () => {
  const s = summarize([loadRun(run('a'))]);
  const by = (n: string) => s.scenarios.find((x) => x.name === n)!.overhead!;
  assert.equal(by('env-16-none').against, 'vanilla');
  assert.ok(Math.abs(by('env-16-none').pct - 10) < 0.5, `env-16-none +${by('env-16-none').pct} %`);
  assert.equal(by('env-16-one-var').against, 'env-16-none');
  assert.ok(Math.abs(by('env-16-one-var').pct - 5) < 0.5, `env-16-one-var +${by('env-16-one-var').pct} % against its own baseline`);
  assert.match(printSummary(s), /^env-16-one-var .* \+\d\.\d\d % vs env-16-none /m);

  const base = readRunAsBaseline(join(dir, 'a')).baseline;
  assert.equal(base.scenarios['env-16-one-var']!.baseline, 'env-16-none');
  assert.equal(base.scenarios['env-16-none']!.baseline, undefined);
  const cmp = compareRuns(base, readRunAsBaseline(run('b', SCENARIOS, 8)).baseline, { metric: 'overhead', alpha: 0.05, thresholdPct: 1, resamples: 1000, seed: 1 });
  const one = cmp.scenarios.find((x) => x.name === 'env-16-one-var')!;
  assert.ok(Math.abs(one.old!.overhead_pct! - 5) < 0.5, `the gate's old side +${one.old!.overhead_pct} % against env-16-none`);
  assert.ok(cmp.notes.some((n) => n.includes('env-16-one-var vs env-16-none')), cmp.notes.join('\n'));
});

test("a scenario whose own baseline was not run is taken against the run's, with a note", () => {
  const s = summarize([loadRun(run('c', [SCENARIOS[0]!, SCENARIOS[2]!]))]);
  const o = s.scenarios.find((x) => x.name === 'env-16-one-var')!.overhead!;
  assert.equal(o.against, 'vanilla');
  assert.ok(Math.abs(o.pct - 15.5) < 0.5);
  assert.ok(s.notes.some((n) => n.startsWith('env-16-one-var: its own baseline env-16-none was not run')), s.notes.join('\n'));
});

test('guests booted once for two scenarios (run.json sameGuestAs) are said so in a note', () => {
  const dir = run('d', SCENARIOS.slice(0, 2));
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
  meta.guests = SCENARIOS.slice(0, 2).flatMap((s) => Array.from({ length: 6 }, (_, boot) => ({
    id: `${s.name}-boot${boot}`, scenario: s.name, boot, seed: 42 + boot, wallSeconds: 1, kernelRelease: '6.12', lsm: 'bpf',
    ...(s.name === 'env-16-none' && { sameGuestAs: `vanilla-boot${boot}` }),
  })));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  const s = summarize([loadRun(dir)]);
  assert.ok(s.notes.some((n) => n.startsWith('env-16-none: the same guests as vanilla')), s.notes.join('\n'));
  assert.ok(!s.notes.some((n) => n.startsWith('vanilla: the same guests')));
});
